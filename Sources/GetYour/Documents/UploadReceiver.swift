import Crypto
import Foundation
import MultipartKit
import Vapor

/// Reads a multipart upload as it streams in (P6): each file goes to a temporary file while
/// its size, SHA-256 and first bytes are taken, so no upload is ever held whole in memory.
/// The form's `csrf_token` must arrive before any file (it is the first field of the form).
final class UploadReceiver {
    struct ReceivedFile {
        let temporary: URL
        let originalName: String
        var size = 0
        var sample = [UInt8]()
        var hasher = SHA256()
        var tooLarge = false
    }

    enum Failure: Error, PageError, Equatable {
        /// Not a multipart form, a malformed part, or a field the form does not have.
        case notMultipart
        case malformed
        case unexpectedField
        /// More file parts than one checklist item may hold: reading stopped there.
        case tooManyFiles
        /// The temporary file could not be written (disk full, permissions): nothing is kept.
        case cannotStore

        var status: HTTPResponseStatus {
            switch self {
            case .notMultipart, .malformed, .unexpectedField: .badRequest
            case .tooManyFiles: .unprocessableEntity
            case .cannotStore: .serviceUnavailable
            }
        }
        var messageKey: String { status == .serviceUnavailable ? "error.503" : "error.\(status.code)" }
    }

    /// The only text fields the upload form has; anything else is refused (bounded work).
    static let expectedFields: Set<String> = [CSRF.fieldName, "return_to"]
    static let maxFieldBytes = 256

    private let temporaryFolder: URL
    private let maxFileBytes: Int
    private let maxFiles: Int
    private(set) var files: [ReceivedFile] = []
    private(set) var fields: [String: String] = [:]
    private var currentName: String?
    private var currentFilename: String?
    private var currentText = ""
    private var handle: FileHandle?
    private var csrfChecked = false
    private var failure: (any Error)?

    private let maxTotalBytes: Int
    private var totalBytes = 0
    /// A file went past the size limit: reading stopped there, and the rest of the request
    /// was never read (the answer must then close the connection).
    private(set) var stoppedEarly = false

    init(temporaryFolder: URL, maxFileBytes: Int, maxFiles: Int, maxTotalBytes: Int) {
        self.temporaryFolder = temporaryFolder
        self.maxFileBytes = maxFileBytes
        self.maxFiles = maxFiles
        self.maxTotalBytes = maxTotalBytes
    }

    /// Consumes the request body. `verifyToken` is called with the `csrf_token` field.
    func receive(_ request: Request, verifyToken: @escaping (String?) throws -> Void) async throws {
        guard let type = request.headers.contentType, type.type == "multipart", type.subType == "form-data",
            let boundary = type.parameters["boundary"]
        else { throw Failure.notMultipart }
        do {
            try FileManager.default.createDirectory(
                at: temporaryFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure.cannotStore
        }
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in self.header(name, value) }
        parser.onBody = { [unowned self] buffer in self.body(&buffer, verifyToken: verifyToken) }
        parser.onPartComplete = { [unowned self] in self.partComplete(verifyToken: verifyToken) }
        do {
            for try await chunk in request.body {
                totalBytes += chunk.readableBytes
                // Without a Content-Length the stream could go on forever: stop at the ceiling.
                if totalBytes > maxTotalBytes { throw Abort(.payloadTooLarge) }
                do { try parser.execute(chunk) } catch { throw Failure.malformed }
                if let failure { throw failure }
                // No need to read the rest of a file that is already too large: the person
                // hears so at once, not after sending every byte.
                if files.last?.tooLarge == true {
                    stoppedEarly = true
                    try? handle?.close()
                    handle = nil
                    return
                }
            }
        } catch {
            discard()
            throw error
        }
        if let failure {
            discard()
            throw failure
        }
        if !csrfChecked {
            discard()
            try verifyToken(nil)
        }
    }

    /// Removes every temporary file (after a failure, or once the files were stored).
    func discard() {
        try? handle?.close()
        handle = nil
        for file in files { try? FileManager.default.removeItem(at: file.temporary) }
    }

    private func header(_ name: String, _ value: String) {
        guard name.lowercased() == "content-disposition" else { return }
        currentName = Self.parameter("name", in: value)
        currentFilename = Self.parameter("filename", in: value)
        if currentFilename == nil, !Self.expectedFields.contains(currentName ?? ""), failure == nil { failure = Failure.unexpectedField }
    }

    private func body(_ buffer: inout ByteBuffer, verifyToken: (String?) throws -> Void) {
        guard failure == nil else { return }
        if let filename = currentFilename {
            if !csrfChecked {
                failure = PlatformError.csrfRejected
                return
            }
            if handle == nil {
                startFile(filename)
                guard failure == nil else { return }
            }
            write(&buffer)
        } else {
            currentText += buffer.readString(length: buffer.readableBytes) ?? ""
            if currentText.utf8.count > Self.maxFieldBytes { failure = Failure.unexpectedField }
        }
    }

    private func startFile(_ filename: String) {
        // Counted as the parts arrive: past the limit, reading stops (no more disk is used).
        guard files.count < maxFiles else {
            failure = Failure.tooManyFiles
            return
        }
        let url = temporaryFolder.appendingPathComponent("upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let opened = try? FileHandle(forWritingTo: url)
        else {
            failure = Failure.cannotStore
            return
        }
        handle = opened
        files.append(ReceivedFile(temporary: url, originalName: filename))
    }

    private func write(_ buffer: inout ByteBuffer) {
        guard var file = files.popLast() else { return }
        defer { files.append(file) }
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        file.size += bytes.count
        if file.size > maxFileBytes {
            file.tooLarge = true
            return
        }
        if file.sample.count < MagicSniffer.sampleSize { file.sample += bytes.prefix(MagicSniffer.sampleSize - file.sample.count) }
        file.hasher.update(data: bytes)
        do { try handle?.write(contentsOf: bytes) } catch { failure = Failure.cannotStore }
    }

    private func partComplete(verifyToken: (String?) throws -> Void) {
        defer {
            currentName = nil
            currentFilename = nil
            currentText = ""
        }
        if let filename = currentFilename {
            if handle == nil, !filename.isEmpty {
                // A named file with no bytes: kept, so that it is reported as empty.
                if csrfChecked { startFile(filename) } else { failure = PlatformError.csrfRejected }
            }
            // A file input left empty sends a part with no name and no bytes: nothing to keep.
            try? handle?.close()
            handle = nil
            return
        }
        guard let name = currentName else { return }
        fields[name] = currentText
        if name == CSRF.fieldName, !csrfChecked {
            do {
                try verifyToken(currentText)
                csrfChecked = true
            } catch {
                failure = error
            }
        }
    }

    /// `name="value"` from a Content-Disposition header.
    static func parameter(_ key: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}
