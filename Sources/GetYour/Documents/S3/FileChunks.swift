import Crypto
import Foundation
import NIOCore
import NIOPosix

/// One region of a file on disk as a sequence of buffers of at most `chunkSize` bytes, read
/// only as fast as the consumer asks, by a task (never on an event loop), into one reused
/// buffer: what an upload part is hashed from before it is signed and sent.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let path: String
    let offset: UInt64
    let length: Int
    var chunkSize = 64 * 1024

    /// The file could not be opened, or ended early (it changed while it was sent).
    struct ReadFailure: Error {}

    final class AsyncIterator: AsyncIteratorProtocol {
        private let chunks: FileChunks
        private var descriptor: Int32 = -1
        private var position: UInt64
        private var remaining: Int
        private var buffer = ByteBufferAllocator().buffer(capacity: 0)

        init(_ chunks: FileChunks) {
            self.chunks = chunks
            self.position = chunks.offset
            self.remaining = chunks.length
        }

        deinit { if descriptor >= 0 { close(descriptor) } }

        func next() async throws -> ByteBuffer? {
            guard remaining > 0 else {
                if descriptor >= 0 { close(descriptor) }
                descriptor = -1
                return nil
            }
            if descriptor < 0 {
                descriptor = open(chunks.path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw ReadFailure() }
            }
            let count = Swift.min(remaining, chunks.chunkSize)
            // One buffer, reused: once the consumer has sent the previous chunk and let go
            // of it, `clear()` keeps its storage, so a whole upload allocates a few buffers,
            // not one per chunk. The file is the temporary file just written, so the read is
            // served from the page cache.
            buffer.clear(minimumCapacity: count)
            let (fd, at) = (descriptor, off_t(position))
            let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
                Swift.max(0, pread(fd, pointer.baseAddress, count, at))
            }
            guard read == count else { throw ReadFailure() }
            let chunk = buffer
            position += UInt64(count)
            remaining -= count
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(self) }

    /// The hex SHA-256 of the region (what SigV4 signs as the payload).
    func sha256() async throws -> String {
        var hasher = SHA256()
        for try await chunk in self { chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return AWSSigV4.hex(hasher.finalize())
    }
}
