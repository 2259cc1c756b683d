export { Recorder, toNs } from './recorder.ts';
export type { RecorderOptions, RecordedRobot, JointStateInput, CommandInput, ContactInput, TimingInput, Time } from './recorder.ts';
export { readRecording } from './reader.ts';
export type { Recording, RecordedChannel, RecordedMessage, ReadOptions } from './reader.ts';
export { connectLive } from './live-sink.ts';
export type { LiveSink, LiveHello, LiveSinkOptions } from './live-sink.ts';
export { McapFileWriter, RecordingWriteError } from './mcap-file-writer.ts';
export type { McapFileWriterOptions } from './mcap-file-writer.ts';
export * from './topics.ts';
