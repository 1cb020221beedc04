import Foundation
import Vapor

/// An email ready to send. Bodies are plain text; links are absolute (built from
/// `app.public_base_url`).
public struct OutgoingEmail: Sendable, Equatable {
    public let to: String
    public let subject: String
    public let body: String
    /// What kind of message this is (`password_reset`, …): safe to log, unlike the rest.
    public let kind: String
}

/// Sends email (P8). `FileMailer` is the local implementation; production uses SendGrid.
public protocol Mailer: Sendable {
    func send(_ email: OutgoingEmail) async throws
}

/// Writes each message as a text file under `<data dir>/mail/`, so developers, tests and
/// UAT testers can open them; nothing goes to the console log stream (it would hold PII).
public struct FileMailer: Mailer {
    let folder: URL

    public func send(_ email: OutgoingEmail) async throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Microseconds since 1970, fixed width: names sort in the order messages were written,
        // even several within one second (a sign-up link, then a reset link).
        let stamp = String(format: "%017.6f", Date().timeIntervalSince1970)
        let name = "\(stamp)-\(email.kind)-\(UUID().uuidString.prefix(8)).txt"
        let text = "To: \(email.to)\nSubject: \(email.subject)\nKind: \(email.kind)\n\n\(email.body)\n"
        // Messages hold personal data: created readable by the app's user only.
        let path = folder.appendingPathComponent(name).path
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Abort(.serviceUnavailable, reason: "mail folder not writable")
        }
    }

    /// The messages written so far, oldest first (for tests and the UAT helpers).
    public func messages() throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return try names.sorted().map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
    }
}

private enum MailerKey: StorageKey { typealias Value = any Mailer }

extension Application {
    /// The configured mailer (style 13): swapped by settings and by tests.
    public var mailer: any Mailer {
        get { storage[MailerKey.self] ?? FileMailer(folder: settings.paths.mailDirectory) }
        set { storage[MailerKey.self] = newValue }
    }
}
