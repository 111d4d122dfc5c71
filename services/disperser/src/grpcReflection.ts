/**
 * gRPC server reflection (grpc/grpc doc/server-reflection.md), v1 and v1alpha (same messages),
 * answered from the protobuf-es descriptors the generated code already embeds: no .proto files
 * at run time and no @grpc/reflection + proto-loader. Supports list_services,
 * file_containing_symbol (services, methods, messages, enums) and file_by_filename; the answer
 * carries the file and its transitive imports as serialized FileDescriptorProtos, so grpcurl
 * can `list`, `describe` and build requests.
 *
 * Messages (encoded by hand with protobuf-es' wire codec):
 *   ServerReflectionRequest  { host = 1; oneof { file_by_filename = 3; file_containing_symbol = 4;
 *     file_containing_extension = 5; all_extension_numbers_of_type = 6; list_services = 7 } }
 *   ServerReflectionResponse { valid_host = 1; original_request = 2; oneof {
 *     file_descriptor_response = 4 { repeated bytes file_descriptor_proto = 1 };
 *     list_services_response = 6 { repeated ServiceResponse service = 1 { name = 1 } };
 *     error_response = 7 { int32 error_code = 1; string error_message = 2 } } }
 */
import { type DescFile, type DescMessage, type DescService, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { type Server, type ServerDuplexStream, type ServiceDefinition, status } from "@grpc/grpc-js";

type ReflectionRequest = {
  raw: Uint8Array;
  host: string;
  kind: "file_by_filename" | "file_containing_symbol" | "list_services" | "unsupported" | "malformed";
  value: string;
};

// Never throws: grpc-js answers a throwing deserializer with INTERNAL (found by test/faults). A
// malformed request ends the call with INVALID_ARGUMENT (`value` says why).
function decodeRequest(bytes: Buffer): ReflectionRequest {
  try {
    return readRequest(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { raw: new Uint8Array(bytes), host: "", kind: "malformed", value: reason };
  }
}

function readRequest(bytes: Buffer): ReflectionRequest {
  const reader = new BinaryReader(bytes);
  const out: ReflectionRequest = { raw: new Uint8Array(bytes), host: "", kind: "unsupported", value: "" };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (wireType !== 2) {
      reader.skip(wireType);
      continue;
    }
    switch (field) {
      case 1:
        out.host = reader.string();
        break;
      case 3:
        out.kind = "file_by_filename";
        out.value = reader.string();
        break;
      case 4:
        out.kind = "file_containing_symbol";
        out.value = reader.string();
        break;
      case 7:
        out.kind = "list_services";
        out.value = reader.string();
        break;
      default:
        out.kind = "unsupported";
        reader.skip(wireType);
    }
  }
  return out;
}

type ReflectionResponse =
  | { request: ReflectionRequest; files: Uint8Array[] }
  | { request: ReflectionRequest; services: string[] }
  | { request: ReflectionRequest; error: { code: number; message: string } };

function encodeResponse(r: ReflectionResponse): Buffer {
  const w = new BinaryWriter();
  w.uint32(10).string(r.request.host);
  w.uint32(18).bytes(r.request.raw);
  if ("files" in r) {
    w.uint32(34).fork();
    for (const f of r.files) w.uint32(10).bytes(f);
    w.join();
  } else if ("services" in r) {
    w.uint32(50).fork();
    for (const name of r.services) w.uint32(10).fork().uint32(10).string(name).join();
    w.join();
  } else {
    w.uint32(58).fork().uint32(8).int32(r.error.code).uint32(18).string(r.error.message).join();
  }
  return Buffer.from(w.finish());
}

function definitionFor(pkg: "v1" | "v1alpha"): ServiceDefinition {
  return {
    serverReflectionInfo: {
      path: `/grpc.reflection.${pkg}.ServerReflection/ServerReflectionInfo`,
      requestStream: true,
      responseStream: true,
      requestSerialize: () => Buffer.alloc(0),
      requestDeserialize: decodeRequest,
      responseSerialize: encodeResponse,
      responseDeserialize: () => ({}),
    },
  };
}

/** Adds reflection for `services` (and every type their files reach) to `server`. */
export function addReflection(server: Server, services: readonly DescService[]): void {
  const files = new Map<string, DescFile>();
  const addFile = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const dep of file.dependencies) addFile(dep);
  };
  for (const s of services) addFile(s.file);
  // Fully-qualified symbol -> defining file: services, their methods, messages, enums (nested too).
  const symbols = new Map<string, DescFile>();
  const addMessage = (m: DescMessage, file: DescFile): void => {
    symbols.set(m.typeName, file);
    for (const e of m.nestedEnums) symbols.set(e.typeName, file);
    for (const n of m.nestedMessages) addMessage(n, file);
  };
  for (const file of files.values()) {
    for (const m of file.messages) addMessage(m, file);
    for (const e of file.enums) symbols.set(e.typeName, file);
    for (const s of file.services) {
      symbols.set(s.typeName, file);
      for (const m of s.methods) symbols.set(`${s.typeName}.${m.name}`, file);
    }
  }
  const serialized = new Map<string, Uint8Array>();
  const bytesOf = (file: DescFile): Uint8Array => {
    let b = serialized.get(file.proto.name);
    if (b === undefined) {
      b = toBinary(FileDescriptorProtoSchema, file.proto);
      serialized.set(file.proto.name, b);
    }
    return b;
  };
  const withDeps = (file: DescFile): Uint8Array[] => {
    const seen = new Map<string, DescFile>();
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.set(f.proto.name, f);
      for (const d of f.dependencies) visit(d);
    };
    visit(file);
    return [...seen.values()].map(bytesOf);
  };
  const fileOfSymbol = (symbol: string): DescFile | undefined => symbols.get(symbol.replace(/^\./, ""));

  const answer = (request: ReflectionRequest): ReflectionResponse => {
    switch (request.kind) {
      case "list_services":
        return { request, services: services.map((s) => s.typeName) };
      case "file_by_filename": {
        const file = files.get(request.value);
        return file === undefined
          ? { request, error: { code: status.NOT_FOUND, message: `file not found: ${request.value}` } }
          : { request, files: withDeps(file) };
      }
      case "file_containing_symbol": {
        const file = fileOfSymbol(request.value);
        return file === undefined
          ? { request, error: { code: status.NOT_FOUND, message: `symbol not found: ${request.value}` } }
          : { request, files: withDeps(file) };
      }
      default:
        return { request, error: { code: status.UNIMPLEMENTED, message: "request kind not supported" } };
    }
  };

  const handler = (call: ServerDuplexStream<ReflectionRequest, ReflectionResponse>) => {
    let failed = false;
    call.on("data", (request: ReflectionRequest) => {
      if (failed) return;
      if (request.kind !== "malformed") {
        call.write(answer(request));
        return;
      }
      failed = true;
      call.emit("error", {
        code: status.INVALID_ARGUMENT,
        details: `Malformed ServerReflectionRequest: ${request.value}`,
      });
    });
    call.on("end", () => {
      if (!failed) call.end();
    });
    call.on("error", () => undefined);
  };
  for (const pkg of ["v1", "v1alpha"] as const) {
    server.addService(definitionFor(pkg), { serverReflectionInfo: handler });
  }
}
