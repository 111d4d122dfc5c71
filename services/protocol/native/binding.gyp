{
  "targets": [
    {
      "target_name": "tributary_native",
      "sources": ["src/addon.c", "src/gfKernels.c", "src/merkleHash.c", "src/rsFft.c", "src/sha256Ni.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-deprecated-declarations"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
