/** s2r serial protocol codec (hardware/PROTOCOL.md). */
export * from './constants.ts';
export { crc16 } from './crc16.ts';
export { cobsEncode, cobsDecode, cobsMaxEncoded } from './cobs.ts';
export { namesHash } from './names-hash.ts';
export * from './messages.ts';
export { FrameEncoder, encodeFrame, decodeFrame, checkDecoded } from './frame.ts';
export { FrameDecoder, type FrameDecoderCounts } from './frame-decoder.ts';
