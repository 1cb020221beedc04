import Foundation
import NIOCore
import Vapor

/// An email ready to send: plain text and the same text as HTML. Links are absolute (built
/// from `app.public_base_url`) and never sign anyone in.
public struct OutgoingEmail: Sendable, Equatable {
    public let to: String
    public let subject: String
    public let text: String
    public let html: String
    /// What kinds of message this carries (`verified+enrolled`): safe to log, unlike the rest.
    public let kind: String
}

/// A text message ready to send.
public struct OutgoingText: Sendable, Equatable {
    /// The number as the person typed it; senders put it in the form their service needs.
    public let to: String
    public let body: String
    public let kind: String
}

/// Why a message could not be handed over. `transient` is tried again later with back-off;
/// `permanent` (the provider refused it, or the address is invalid) is never retried.
/// `code` is short and holds no personal data (`http_503`, `timeout`, `invalid_address`).
public enum DeliveryError: Error, Equatable {
    case transient(String)
    case permanent(String)

    /// How an HTTP status from a provider is taken: 429 and 5xx are worth another try; any
    /// other 4xx (bad request, unauthorised, invalid number) will fail the same way again.
    static func check(_ status: HTTPResponseStatus) throws {
        switch status.code {
        case 200..<300: return
        case 408, 429, 500..<600: throw DeliveryError.transient("http_\(status.code)")
        default: throw DeliveryError.permanent("http_\(status.code)")
        }
    }

    /// A request that got no answer (time-out, refused connection) may well work later.
    static func unanswered(_ error: any Error) -> DeliveryError {
        let text = String(describing: error).lowercased()
        return .transient(text.contains("timeout") || text.contains("deadline") ? "timeout" : "no_connection")
    }
}

/// Sends email (P8): `FileMailer` locally, `SendGridMailer` on servers.
public protocol Mailer: Sendable {
    func send(_ email: OutgoingEmail) async throws
}

/// Sends text messages (P8): `FileTexter` locally, `TwilioTexter` on servers.
public protocol Texter: Sendable {
    func send(_ text: OutgoingText) async throws
}

/// One file per message under a folder, so developers, tests and UAT testers can open them;
/// nothing goes to the console log stream (it would hold personal data).
struct MessageFolder: Sendable {
    let folder: URL

    func write(kind: String, _ text: String) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Microseconds since 1970, fixed width: names sort in the order messages were written,
        // even several within one second (a sign-up link, then a reset link).
        let stamp = String(format: "%017.6f", Date().timeIntervalSince1970)
        let name = "\(stamp)-\(kind.prefix(120))-\(UUID().uuidString.prefix(8)).txt"
        // Messages hold personal data: created readable by the app's user only.
        let path = folder.appendingPathComponent(name).path
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DeliveryError.transient("folder_not_writable")
        }
    }

    /// The messages written so far, oldest first (for tests and the UAT helpers).
    func messages() throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return try names.sorted().map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
    }
}

/// Writes each email as a text file under `<data dir>/mail/`: headers, the text, then the HTML.
public struct FileMailer: Mailer {
    let folder: URL

    public func send(_ email: OutgoingEmail) async throws {
        try MessageFolder(folder: folder).write(
            kind: email.kind,
            "To: \(email.to)\nSubject: \(email.subject)\nKind: \(email.kind)\n\n\(email.text)\n\n----- HTML -----\n\(email.html)\n")
    }

    public func messages() throws -> [String] { try MessageFolder(folder: folder).messages() }
}

/// Writes each text message as a file under `<data dir>/sms/`.
public struct FileTexter: Texter {
    let folder: URL

    public func send(_ text: OutgoingText) async throws {
        try MessageFolder(folder: folder).write(kind: text.kind, "To: \(text.to)\nKind: \(text.kind)\n\n\(text.body)\n")
    }

    public func messages() throws -> [String] { try MessageFolder(folder: folder).messages() }
}

private enum MailerKey: StorageKey { typealias Value = any Mailer }
private enum TexterKey: StorageKey { typealias Value = any Texter }

extension Application {
    /// The configured mailer (style 13), chosen in `configure` from the settings.
    public var mailer: any Mailer {
        get {
            guard let mailer = storage[MailerKey.self] else { fatalError("configure(_:) has not chosen a mailer") }
            return mailer
        }
        set { storage[MailerKey.self] = newValue }
    }

    /// The configured text-message sender, or nil when the deployment sends none.
    public var texter: (any Texter)? {
        get { storage[TexterKey.self] }
        set { storage[TexterKey.self] = newValue }
    }

    /// Chooses the backends the settings name. Settings loading has already refused a real
    /// backend without its secrets, so nothing here falls back to files.
    func configureNotifications(_ settings: NotificationSettings) {
        let timeout = TimeAmount.milliseconds(Int64(settings.httpTimeout * 1000))
        switch settings.emailBackend {
        case .file: mailer = FileMailer(folder: self.settings.paths.mailDirectory)
        case .sendgrid: mailer = SendGridMailer(settings: settings, client: client, timeout: timeout)
        }
        switch settings.smsBackend {
        case .file: texter = FileTexter(folder: self.settings.paths.smsDirectory)
        case .twilio: texter = TwilioTexter(settings: settings, client: client, timeout: timeout)
        case .off: texter = nil
        }
    }
}
