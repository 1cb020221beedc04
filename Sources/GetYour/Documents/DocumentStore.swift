import Foundation
import Vapor

/// Where uploaded files live (P6): outside `Public/`, under random keys. `filesystem` is the
/// default; an S3-compatible store implements the same three operations for production.
public protocol DocumentStore: Sendable {
    /// Moves a finished temporary file into the store under `key`.
    func store(fileAt temporary: URL, key: String) async throws
    /// Streams the file to the client; never loads it whole into memory.
    func response(for key: String, on request: Request) async throws -> Response
    func delete(key: String) async throws
    /// Runs `body` with the stored file on the local disk (the store's own file, or a
    /// temporary copy removed afterwards), for reading it in chunks (the data export).
    func withLocalFile(key: String, _ body: (URL) async throws -> Void) async throws
}

/// Files under `<data dir>/documents/`, two levels of folders by key prefix.
public struct FilesystemDocumentStore: DocumentStore {
    let root: URL

    func path(for key: String) -> URL {
        root.appendingPathComponent(String(key.prefix(2)), isDirectory: true).appendingPathComponent(key)
    }

    public func store(fileAt temporary: URL, key: String) async throws {
        let target = path(for: key)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // A rename on the same file system: the file appears whole or not at all.
        try FileManager.default.moveItem(at: temporary, to: target)
        // Readable by the app's user only, whatever the umask (P6).
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target.path)
    }

    public func response(for key: String, on request: Request) async throws -> Response {
        let file = path(for: key)
        guard FileManager.default.fileExists(atPath: file.path) else { throw Abort(.notFound) }
        return try await request.fileio.asyncStreamFile(at: file.path)
    }

    public func withLocalFile(key: String, _ body: (URL) async throws -> Void) async throws {
        let file = path(for: key)
        guard FileManager.default.fileExists(atPath: file.path) else { throw Abort(.notFound) }
        try await body(file)
    }

    public func delete(key: String) async throws {
        try? FileManager.default.removeItem(at: path(for: key))
    }
}

private enum DocumentStoreKey: StorageKey { typealias Value = any DocumentStore }
private enum MagicSnifferKey: StorageKey { typealias Value = MagicSniffer }

extension Application {
    /// The store the settings name: a folder, or an S3-compatible bucket reached through its
    /// own HTTP client (closed when the app shuts down).
    func configureDocumentStore(_ settings: Settings) throws {
        switch settings.documents.backend {
        case .filesystem:
            documentStore = FilesystemDocumentStore(root: settings.paths.documentsDirectory)
        case .s3:
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(settings.documents.s3.timeout)))
            let http = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
            lifecycle.use(HTTPClientShutdown(client: http))
            documentStore = S3DocumentStore(
                client: S3Client(settings: settings.documents.s3, http: http),
                temporaryFolder: settings.paths.dataDirectory.appendingPathComponent("tmp", isDirectory: true), logger: logger)
        }
    }

    public var documentStore: any DocumentStore {
        get {
            guard let store = storage[DocumentStoreKey.self] else { fatalError("configure(_:) has not run") }
            return store
        }
        set { storage[DocumentStoreKey.self] = newValue }
    }

    var magic: MagicSniffer {
        get {
            guard let magic = storage[MagicSnifferKey.self] else { fatalError("configure(_:) has not run") }
            return magic
        }
        set { storage[MagicSnifferKey.self] = newValue }
    }
}

/// Closes an HTTP client the app made for itself when the app shuts down.
struct HTTPClientShutdown: LifecycleHandler {
    let client: HTTPClient
    func shutdownAsync(_ application: Application) async {
        try? await client.shutdown()
    }
}
