import AsyncHTTPClient
import Foundation
import Vapor

/// Documents in an S3-compatible bucket (`GETYOUR_DOCUMENTS_BACKEND=s3`), so that every app
/// server reads and writes the same store. Uploads stream from the temporary file the
/// upload was received into; downloads stream from the bucket to the browser. Nothing is
/// held whole in memory.
public struct S3DocumentStore: DocumentStore {
    let client: S3Client
    /// Where `withLocalFile` puts its temporary copies (`<data dir>/tmp`).
    let temporaryFolder: URL
    let logger: Logger

    init(client: S3Client, temporaryFolder: URL, logger: Logger) {
        self.client = client
        self.temporaryFolder = temporaryFolder
        self.logger = logger
    }

    public func store(fileAt temporary: URL, key: String) async throws {
        do {
            try await client.putObject(fileAt: temporary, key: key)
        } catch {
            logger.error("document store: \(error)")
            throw error
        }
        try? FileManager.default.removeItem(at: temporary)
    }

    public func response(for key: String, on request: Request) async throws -> Response {
        let answer: HTTPClientResponse?
        do {
            answer = try await client.getObject(key: key)
        } catch {
            logger.error("document store: \(error)")
            throw error
        }
        guard let answer else { throw Abort(.notFound) }
        let length = answer.headers.first(name: "Content-Length").flatMap(Int.init) ?? -1
        let logger = self.logger
        let body = Response.Body(
            asyncStream: { writer in
                do {
                    for try await chunk in answer.body { try await writer.writeBuffer(chunk) }
                    try await writer.write(.end)
                } catch {
                    // The browser went away, or the store stopped mid-file: end the response.
                    logger.debug("document stream ended early: \(type(of: error))")
                    try? await writer.write(.error(error))
                }
            }, count: length)
        return Response(status: .ok, body: body)
    }

    public func delete(key: String) async throws {
        do {
            try await client.deleteObject(key: key)
        } catch {
            logger.error("document store: \(error)")
            throw error
        }
    }

    public func withLocalFile(key: String, _ body: (URL) async throws -> Void) async throws {
        guard let answer = try await client.getObject(key: key) else { throw Abort(.notFound) }
        try FileManager.default.createDirectory(
            at: temporaryFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let copy = temporaryFolder.appendingPathComponent("download-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: copy.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw Abort(.serviceUnavailable)
        }
        defer { try? FileManager.default.removeItem(at: copy) }
        let handle = try FileHandle(forWritingTo: copy)
        do {
            for try await chunk in answer.body { try handle.write(contentsOf: chunk.readableBytesView) }
            try handle.close()
        } catch {
            try? handle.close()
            throw error
        }
        try await body(copy)
    }
}
