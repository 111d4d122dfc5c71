/**
 * The wire bytes of one `StoreColumnsRequest { chunk: Chunk { column, offset, data } }`, written
 * by hand so that a column's cells are gathered from the row-major square straight into the
 * message buffer: one copy of the bulk bytes instead of a gather plus protobuf-es's growing
 * buffer (see `EncodedMessage`). The layout is proto3's, fields in number order, zero-valued
 * scalars omitted as protobuf-es does; test/unit/chunkWire.test.ts checks it byte for byte
 * against `toBinary`.
 */
import { EncodedMessage } from "@tributary/proto";
import { StoreColumnsRequestSchema } from "@tributary/proto/tributary/storage/v1/storage";

const WIRE_LEN = 2;
const CHUNK_FIELD_TAG = (2 << 3) | WIRE_LEN; // StoreColumnsRequest.chunk
const COLUMN_TAG = 1 << 3; // Chunk.column, varint
const OFFSET_TAG = 2 << 3; // Chunk.offset, varint
const DATA_TAG = (3 << 3) | WIRE_LEN; // Chunk.data

/**
 * Builds the chunk message for `length` bytes of `column` starting at byte `offset`, letting
 * `fill` write those bytes into the view it is given (exactly `length` bytes long). Chunks are
 * never empty (storage.proto), which is also what keeps `data` present on the wire.
 */
export function encodeChunkMessage(
  column: number,
  offset: number,
  length: number,
  fill: (into: Uint8Array) => void,
): EncodedMessage<typeof StoreColumnsRequestSchema> {
  if (!Number.isInteger(length) || length < 1) throw new RangeError("a chunk carries at least one byte");
  const innerLength =
    (column === 0 ? 0 : 1 + varintSize(column)) +
    (offset === 0 ? 0 : 1 + varintSize(offset)) +
    1 +
    varintSize(length) +
    length;
  const bytes = Buffer.allocUnsafe(1 + varintSize(innerLength) + innerLength);
  let pos = 0;
  bytes[pos++] = CHUNK_FIELD_TAG;
  pos = writeVarint(bytes, pos, innerLength);
  if (column !== 0) {
    bytes[pos++] = COLUMN_TAG;
    pos = writeVarint(bytes, pos, column);
  }
  if (offset !== 0) {
    bytes[pos++] = OFFSET_TAG;
    pos = writeVarint(bytes, pos, offset);
  }
  bytes[pos++] = DATA_TAG;
  pos = writeVarint(bytes, pos, length);
  fill(bytes.subarray(pos, pos + length));
  return new EncodedMessage(StoreColumnsRequestSchema, bytes);
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v > 0x7f; v = Math.floor(v / 128)) size++;
  return size;
}

function writeVarint(into: Uint8Array, at: number, value: number): number {
  let pos = at;
  let v = value;
  while (v > 0x7f) {
    into[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  into[pos++] = v;
  return pos;
}
