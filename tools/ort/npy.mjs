// NumPy .npy files for the ONNX Runtime runner: read a file into { dtype, shape, data } and write one back.
//
// Layout (numpy.lib.format): the magic "\x93NUMPY", the format version (major, minor bytes), the
// header length (uint16 LE in 1.0, uint32 LE in 2.0 and 3.0), the header — a Python dict literal
// such as {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), } padded with spaces
// so that the data starts at a multiple of 64 bytes, ended by '\n' — then the data, C order.
//
// `dtype` is ONNX Runtime's tensor type name, `data` the typed array ORT's Tensor takes for it
// (int64 as BigInt64Array, bool as Uint8Array of 0 / 1, float16 as its raw Uint16Array bits).
import fs from 'node:fs';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);  // "\x93NUMPY"

// NumPy descr (little endian, or '|' for one byte) <-> ORT type, with its typed array.
const DTYPES = [
  { descr: '<f4', type: 'float32', array: Float32Array },
  { descr: '<f8', type: 'float64', array: Float64Array },
  { descr: '<f2', type: 'float16', array: Uint16Array },
  { descr: '<i8', type: 'int64', array: BigInt64Array },
  { descr: '<u8', type: 'uint64', array: BigUint64Array },
  { descr: '<i4', type: 'int32', array: Int32Array },
  { descr: '<u4', type: 'uint32', array: Uint32Array },
  { descr: '<i2', type: 'int16', array: Int16Array },
  { descr: '<u2', type: 'uint16', array: Uint16Array },
  { descr: '|i1', type: 'int8', array: Int8Array },
  { descr: '|u1', type: 'uint8', array: Uint8Array },
  { descr: '|b1', type: 'bool', array: Uint8Array },
];

function fail(what, message) {
  throw new Error(`${what}: ${message}`);
}

function dtypeForDescr(descr, what) {
  // '=' is native order; every platform ONNX Runtime ships for here is little endian.
  let d = descr.replace(/^=/, '<');
  if (/^[<>=]?[biu]1$/.test(d)) d = '|' + d.slice(-2);
  const found = DTYPES.find((t) => t.descr === d);
  if (!found) {
    const why = d.startsWith('>') ? 'big-endian data is not supported' : 'unsupported dtype';
    fail(what, `${why} '${descr}' (expected one of ${DTYPES.map((t) => t.descr).join(', ')})`);
  }
  return found;
}

// Parses the header dict. numpy writes it with single quotes; other writers may use double quotes.
function parseHeader(text, what) {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) fail(what, `malformed .npy header ${JSON.stringify(text.trim())}`);
  if (fortran[1] === 'True') fail(what, 'Fortran-order arrays are not supported (save with C order)');
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const d of dims) if (!/^\d+$/.test(d)) fail(what, `bad dimension '${d}' in the shape (${shape[1]})`);
  return { descr: descr[1], shape: dims.map(Number) };
}

export function parseNpy(bytes, what) {
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC)) fail(what, 'not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  let headerLength, headerStart;
  if (major === 1) {
    headerLength = bytes.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail(what, 'truncated .npy header');
    headerLength = bytes.readUInt32LE(8);
    headerStart = 12;
  } else {
    fail(what, `unsupported .npy format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) fail(what, 'truncated .npy header');
  const header = parseHeader(bytes.subarray(headerStart, dataStart).toString(major === 3 ? 'utf8' : 'latin1'), what);
  const t = dtypeForDescr(header.descr, what);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const byteCount = count * t.array.BYTES_PER_ELEMENT;
  if (bytes.length - dataStart !== byteCount) {
    fail(what, `data is ${bytes.length - dataStart} bytes, the shape (${header.shape.join(', ')}) of ` +
               `'${header.descr}' needs ${byteCount}`);
  }
  // A fresh buffer: typed arrays need their element alignment, which the data offset need not have.
  const data = new t.array(count);
  Buffer.from(data.buffer).set(bytes.subarray(dataStart, dataStart + byteCount));
  if (t.type === 'bool') for (let i = 0; i < count; ++i) data[i] = data[i] !== 0 ? 1 : 0;
  return { dtype: t.type, shape: header.shape, data };
}

export function readNpy(path) {
  let bytes;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    fail(`'${path}'`, `cannot read (${e.code || e.message})`);
  }
  return parseNpy(bytes, `'${path}'`);
}

export function serializeNpy({ dtype, shape, data }) {
  const t = DTYPES.find((d) => d.type === dtype);
  if (!t) fail('serializeNpy', `unsupported tensor type '${dtype}'`);
  const count = shape.reduce((a, b) => a * Number(b), 1);
  if (data.length !== count) fail('serializeNpy', `${data.length} values for the shape (${shape.join(', ')})`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${t.descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const version = dict.length + 11 > 65535 ? 2 : 1;
  const prefix = version === 1 ? 10 : 12;
  const padded = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(padded - prefix - 1, ' ') + '\n';
  const head = Buffer.alloc(prefix);
  MAGIC.copy(head, 0);
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(dict.length, 8);
  else head.writeUInt32LE(dict.length, 8);
  const typed = data instanceof t.array ? data : t.array.from(data);
  const body = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), body]);
}

// Through a temporary file renamed over `path`: never a partial file.
export function writeNpy(path, tensor) {
  const tmp = `${path}.tmp`;
  fs.writeFileSync(tmp, serializeNpy(tensor));
  fs.renameSync(tmp, path);
}
