import CompressNIO
import NIOCore

/// Compresses a stream of chunks into one gzip member (zlib's fastest level), chunk by chunk: each chunk's
/// output is flushed, so what the host can extract never waits for a later chunk. Not thread-safe: used on
/// its producer's serial queue.
final class GzipChunks {
    private let compressor: ZlibCompressor
    private var finished = false

    init() throws {
        compressor = try ZlibCompressor(
            algorithm: .gzip, configuration: ZlibConfiguration(compressionLevel: .fastestCompression))
    }

    /// The compressed form of `bytes` (after those of every chunk before).
    func compress(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
        precondition(!finished)
        var input = ByteBuffer(bytes: bytes)
        var output = ByteBuffer()
        output.reserveCapacity(compressor.maxSize(from: input))
        try compressor.deflate(from: &input, to: &output, flush: .sync)
        return Array(output.readableBytesView)
    }

    /// The end of the gzip member (the last block and the trailer with the CRC and length).
    func finish() throws -> [UInt8] {
        precondition(!finished)
        finished = true
        var input = ByteBuffer()
        var output = ByteBuffer()
        output.reserveCapacity(compressor.maxSize(from: input) + 64)
        try compressor.deflate(from: &input, to: &output, flush: .finish)
        return Array(output.readableBytesView)
    }
}
