/* N-API entry points. Every buffer bound is checked here, so a bug in the JavaScript caller
 * raises a RangeError instead of reading or writing outside a typed array. */
#include <node_api.h>
#include <string.h>

#include "gfKernels.h"
#include "merkleHash.h"
#include "rsFft.h"

typedef struct {
  void *data;
  size_t length; /* in elements */
  napi_typedarray_type type;
} typed_view;

static int get_view(napi_env env, napi_value v, napi_typedarray_type want, typed_view *out, const char *name) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) {
    napi_throw_type_error(env, NULL, name);
    return 0;
  }
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, v, &out->type, &out->length, &out->data, &ab, &off);
  if (out->type != want) {
    napi_throw_type_error(env, NULL, name);
    return 0;
  }
  return 1;
}

static int get_size(napi_env env, napi_value v, size_t *out, const char *name) {
  int64_t x;
  if (napi_get_value_int64(env, v, &x) != napi_ok || x < 0) {
    napi_throw_type_error(env, NULL, name);
    return 0;
  }
  *out = (size_t)x;
  return 1;
}

static int offsets_in_range(const int32_t *offs, size_t n, size_t len, size_t buf_len) {
  for (size_t i = 0; i < n; i++) {
    if (offs[i] < 0 || (size_t)offs[i] + len > buf_len) return 0;
  }
  return 1;
}

/* alignOffset(view: Uint8Array, alignment): how many bytes past the view's start the first
 * address that is a multiple of `alignment` (a power of two) lies. JavaScript cannot see
 * addresses; O_DIRECT I/O needs buffers aligned to the device's block size. */
static napi_value align_offset_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 2) {
    napi_throw_type_error(env, NULL, "alignOffset expects 2 arguments");
    return NULL;
  }
  typed_view view;
  size_t alignment;
  if (!get_view(env, argv[0], napi_uint8_array, &view, "view must be a Uint8Array") ||
      !get_size(env, argv[1], &alignment, "alignment must be a non-negative integer")) {
    return NULL;
  }
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > (1u << 20)) {
    napi_throw_range_error(env, NULL, "alignOffset: alignment must be a power of two <= 1 MiB");
    return NULL;
  }
  uintptr_t address = (uintptr_t)view.data;
  size_t skip = (alignment - (address & (alignment - 1))) & (alignment - 1);
  napi_value out;
  napi_create_uint32(env, (uint32_t)skip, &out);
  return out;
}

/* gfMatMul(coefs: Uint8Array, outCount, inCount, buf: Uint8Array, inOffsets: Int32Array,
 *          outOffsets: Int32Array, len) */
static napi_value gf_matmul_js(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 7) {
    napi_throw_type_error(env, NULL, "gfMatMul expects 7 arguments");
    return NULL;
  }
  typed_view coefs, buf, in_off, out_off;
  size_t out_count, in_count, len;
  if (!get_view(env, argv[0], napi_uint8_array, &coefs, "coefs must be a Uint8Array") ||
      !get_size(env, argv[1], &out_count, "outCount must be a non-negative integer") ||
      !get_size(env, argv[2], &in_count, "inCount must be a non-negative integer") ||
      !get_view(env, argv[3], napi_uint8_array, &buf, "buf must be a Uint8Array") ||
      !get_view(env, argv[4], napi_int32_array, &in_off, "inOffsets must be an Int32Array") ||
      !get_view(env, argv[5], napi_int32_array, &out_off, "outOffsets must be an Int32Array") ||
      !get_size(env, argv[6], &len, "len must be a non-negative integer")) {
    return NULL;
  }
  if (len % 64 != 0 || coefs.length < out_count * in_count || in_off.length < in_count ||
      out_off.length < out_count || !offsets_in_range((const int32_t *)in_off.data, in_count, len, buf.length) ||
      !offsets_in_range((const int32_t *)out_off.data, out_count, len, buf.length)) {
    napi_throw_range_error(env, NULL, "gfMatMul: sizes or offsets out of range (len must be a multiple of 64)");
    return NULL;
  }
  gf_matmul((const uint8_t *)coefs.data, out_count, in_count, (uint8_t *)buf.data,
            (const int32_t *)in_off.data, (const int32_t *)out_off.data, len);
  return NULL;
}

/* rsFftExtend(buf: Uint8Array, inOffsets: Int32Array, outOffsets: Int32Array, k, len) */
static napi_value rs_fft_extend_js(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view buf, in_off, out_off;
  size_t k, len;
  if (argc != 5 || !get_view(env, argv[0], napi_uint8_array, &buf, "buf must be a Uint8Array") ||
      !get_view(env, argv[1], napi_int32_array, &in_off, "inOffsets must be an Int32Array") ||
      !get_view(env, argv[2], napi_int32_array, &out_off, "outOffsets must be an Int32Array") ||
      !get_size(env, argv[3], &k, "k must be a non-negative integer") ||
      !get_size(env, argv[4], &len, "len must be a non-negative integer")) {
    return NULL;
  }
  if (k < 1 || k > 128 || (k & (k - 1)) != 0 || len % 64 != 0 || in_off.length < k || out_off.length < k ||
      !offsets_in_range((const int32_t *)in_off.data, k, len, buf.length) ||
      !offsets_in_range((const int32_t *)out_off.data, k, len, buf.length)) {
    napi_throw_range_error(env, NULL, "rsFftExtend: k must be a power of two <= 128, len a multiple of 64, offsets in range");
    return NULL;
  }
  rs_fft_extend((uint8_t *)buf.data, (const int32_t *)in_off.data, (const int32_t *)out_off.data, k, len);
  return NULL;
}

/* hashLeaves(buf: Uint8Array, offsets: Int32Array, len, out: Uint8Array) */
static napi_value hash_leaves_js(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view buf, offs, out;
  size_t len;
  if (argc != 4 || !get_view(env, argv[0], napi_uint8_array, &buf, "buf must be a Uint8Array") ||
      !get_view(env, argv[1], napi_int32_array, &offs, "offsets must be an Int32Array") ||
      !get_size(env, argv[2], &len, "len must be a non-negative integer") ||
      !get_view(env, argv[3], napi_uint8_array, &out, "out must be a Uint8Array")) {
    return NULL;
  }
  if (out.length < 32 * offs.length || !offsets_in_range((const int32_t *)offs.data, offs.length, len, buf.length)) {
    napi_throw_range_error(env, NULL, "hashLeaves: offsets or output out of range");
    return NULL;
  }
  merkle_hash_leaves((const uint8_t *)buf.data, (const int32_t *)offs.data, offs.length, len, (uint8_t *)out.data);
  return NULL;
}

/* hashNodes(input: Uint8Array of 64*n bytes, out: Uint8Array of 32*n bytes) */
static napi_value hash_nodes_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view in, out;
  if (argc != 2 || !get_view(env, argv[0], napi_uint8_array, &in, "input must be a Uint8Array") ||
      !get_view(env, argv[1], napi_uint8_array, &out, "out must be a Uint8Array")) {
    return NULL;
  }
  if (in.length % 64 != 0 || out.length < in.length / 2) {
    napi_throw_range_error(env, NULL, "hashNodes: input must be 64*n bytes and out 32*n bytes");
    return NULL;
  }
  merkle_hash_nodes((const uint8_t *)in.data, in.length / 64, (uint8_t *)out.data);
  return NULL;
}

/* hashLeafInto(data: Uint8Array, out: Uint8Array(32)): one leaf, for proof verification where
 * a node:crypto Hash object per call costs several times the hashing itself. */
static napi_value hash_leaf_into_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view data, out;
  if (argc != 2 || !get_view(env, argv[0], napi_uint8_array, &data, "data must be a Uint8Array") ||
      !get_view(env, argv[1], napi_uint8_array, &out, "out must be a Uint8Array")) {
    return NULL;
  }
  if (out.length < 32 || data.length > 0x7fffffff) {
    napi_throw_range_error(env, NULL, "hashLeafInto: out must hold 32 bytes");
    return NULL;
  }
  const int32_t zero = 0;
  merkle_hash_leaves((const uint8_t *)data.data, &zero, 1, data.length, (uint8_t *)out.data);
  return NULL;
}

/* hashNodeInto(left: Uint8Array(32), right: Uint8Array(32), out: Uint8Array(32)) */
static napi_value hash_node_into_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view left, right, out;
  if (argc != 3 || !get_view(env, argv[0], napi_uint8_array, &left, "left must be a Uint8Array") ||
      !get_view(env, argv[1], napi_uint8_array, &right, "right must be a Uint8Array") ||
      !get_view(env, argv[2], napi_uint8_array, &out, "out must be a Uint8Array")) {
    return NULL;
  }
  if (left.length != 32 || right.length != 32 || out.length < 32) {
    napi_throw_range_error(env, NULL, "hashNodeInto: children must be 32 bytes and out hold 32");
    return NULL;
  }
  uint8_t pair[64];
  memcpy(pair, left.data, 32);
  memcpy(pair + 32, right.data, 32);
  merkle_hash_nodes(pair, 1, (uint8_t *)out.data);
  return NULL;
}

/* rootFromPath(leafHash: Uint8Array(32), siblings: Uint8Array(32)[], index, leafCount, out):
 * the root implied by an RFC 6962 audit path (RFC 9162 section 2.1.3.2), written to out.
 * Returns false, writing nothing, when the path cannot fit a tree of leafCount leaves. One call
 * instead of one per level: a cell proof is ~17 levels, each a separate call otherwise. */
static napi_value root_from_path_js(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view leaf, out;
  int64_t index, count;
  bool is_array = false;
  if (argc != 5 || !get_view(env, argv[0], napi_uint8_array, &leaf, "leafHash must be a Uint8Array") ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_value_int64(env, argv[2], &index) != napi_ok || napi_get_value_int64(env, argv[3], &count) != napi_ok ||
      !get_view(env, argv[4], napi_uint8_array, &out, "out must be a Uint8Array")) {
    napi_throw_type_error(env, NULL, "rootFromPath(leafHash, siblings[], index, leafCount, out)");
    return NULL;
  }
  napi_value result;
  if (leaf.length != 32 || out.length < 32) {
    napi_throw_range_error(env, NULL, "rootFromPath: leafHash and out must be 32 bytes");
    return NULL;
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[1], &n);
  int64_t fn = index, sn = count - 1;
  int ok = fn >= 0 && fn <= sn && n <= 64;
  uint8_t pair[64], r[32];
  memcpy(r, leaf.data, 32);
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value el;
    typed_view p;
    bool is_ta = false;
    napi_get_element(env, argv[1], i, &el);
    napi_is_typedarray(env, el, &is_ta);
    if (!is_ta) { ok = 0; break; }
    size_t off;
    napi_value ab;
    napi_get_typedarray_info(env, el, &p.type, &p.length, &p.data, &ab, &off);
    if (p.type != napi_uint8_array || p.length != 32 || sn == 0) { ok = 0; break; }
    if (fn % 2 == 1 || fn == sn) {
      memcpy(pair, p.data, 32);
      memcpy(pair + 32, r, 32);
      if (fn % 2 == 0) {
        while (fn % 2 == 0 && fn != 0) { fn /= 2; sn /= 2; }
      }
    } else {
      memcpy(pair, r, 32);
      memcpy(pair + 32, p.data, 32);
    }
    merkle_hash_nodes(pair, 1, r);
    fn /= 2;
    sn /= 2;
  }
  ok = ok && sn == 0;
  if (ok) memcpy(out.data, r, 32);
  napi_get_boolean(env, ok, &result);
  return result;
}

static napi_value kernel_name_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value s;
  napi_create_string_utf8(env, gf_kernel_name(gf_active_kernel()), NAPI_AUTO_LENGTH, &s);
  return s;
}

/* forceKernel("scalar" | "avx2" | "gfni-avx512") -> boolean (false if this CPU cannot) */
static napi_value force_kernel_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[32] = {0};
  size_t n = 0;
  if (argc != 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "forceKernel expects a kernel name");
    return NULL;
  }
  int ok = 0;
  if (strcmp(name, "scalar") == 0) ok = gf_force_kernel(GF_KERNEL_SCALAR);
  else if (strcmp(name, "avx2") == 0) ok = gf_force_kernel(GF_KERNEL_AVX2);
  else if (strcmp(name, "gfni-avx512") == 0) ok = gf_force_kernel(GF_KERNEL_GFNI);
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  gf_init();
  napi_property_descriptor props[] = {
      {"gfMatMul", NULL, gf_matmul_js, NULL, NULL, NULL, napi_default, NULL},
      {"rsFftExtend", NULL, rs_fft_extend_js, NULL, NULL, NULL, napi_default, NULL},
      {"hashLeaves", NULL, hash_leaves_js, NULL, NULL, NULL, napi_default, NULL},
      {"hashLeafInto", NULL, hash_leaf_into_js, NULL, NULL, NULL, napi_default, NULL},
      {"hashNodeInto", NULL, hash_node_into_js, NULL, NULL, NULL, napi_default, NULL},
      {"rootFromPath", NULL, root_from_path_js, NULL, NULL, NULL, napi_default, NULL},
      {"hashNodes", NULL, hash_nodes_js, NULL, NULL, NULL, napi_default, NULL},
      {"kernelName", NULL, kernel_name_js, NULL, NULL, NULL, napi_default, NULL},
      {"alignOffset", NULL, align_offset_js, NULL, NULL, NULL, napi_default, NULL},
      {"forceKernel", NULL, force_kernel_js, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
