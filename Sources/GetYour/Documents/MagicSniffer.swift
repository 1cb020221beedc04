import CMagic
import Foundation
import Synchronization

/// Tells a file's type from its bytes with libmagic (P6); the name and the browser's
/// content type are never trusted. One libmagic handle is shared behind a lock, because a
/// handle is not thread-safe and opening one per call costs more than the lock.
public final class MagicSniffer: Sendable {
    /// Enough bytes for libmagic to recognise every type we accept.
    public static let sampleSize = 64 * 1024

    private struct Handle: ~Copyable {
        let cookie: OpaquePointer
        deinit { magic_close(cookie) }
    }

    private let handle: Mutex<Handle>

    public enum Failure: Error, CustomStringConvertible {
        case cannotOpen
        case cannotLoadDatabase(String)

        public var description: String {
            switch self {
            case .cannotOpen: "libmagic could not be initialised"
            case .cannotLoadDatabase(let reason): "libmagic could not load its database: \(reason)"
            }
        }
    }

    public init() throws {
        guard let cookie = magic_open(MAGIC_MIME_TYPE) else { throw Failure.cannotOpen }
        guard magic_load(cookie, nil) == 0 else {
            let reason = magic_error(cookie).map { String(cString: $0) } ?? "unknown"
            magic_close(cookie)
            throw Failure.cannotLoadDatabase(reason)
        }
        handle = Mutex(Handle(cookie: cookie))
    }

    /// The MIME type of a file that starts with `bytes`, e.g. `image/png`.
    public func mimeType<Bytes: Collection<UInt8>>(of bytes: Bytes) -> String {
        let sample = Array(bytes.prefix(Self.sampleSize))
        guard !sample.isEmpty else { return "application/x-empty" }
        return handle.withLock { handle in
            sample.withUnsafeBytes { raw in
                magic_buffer(handle.cookie, raw.baseAddress, raw.count).map { String(cString: $0) }
            } ?? "application/octet-stream"
        }
    }
}
