import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// A staff account made directly in the database (as `getyour create-staff` would), with a
/// known password.
@discardableResult
func makeStaff(
    _ app: Application, role: User.Role, email: String = "staff@example.org", password: String = "staff passphrase 2024"
) async throws -> User {
    let user = User(
        email: email, passwordHash: try await app.accounts.hasher.hash(password), firstName: "Sam", lastName: role.rawValue.capitalized,
        phone: "", language: .en, role: role)
    user.emailConfirmedAt = Date()
    try await user.create(on: app.db(.primary))
    return user
}

/// A browser signed in as a new admin (`admin@city.example`).
func signedInAdmin(_ app: Application) async throws -> Browser {
    try await makeStaff(app, role: .admin, email: "admin@city.example")
    let admin = Browser(app)
    try await admin.signInStaff(email: "admin@city.example")
    return admin
}

extension Browser {
    /// Signs a staff member in with password and, the first time, sets up their authenticator
    /// through the real pages; returns the TOTP secret so later sign-ins can compute codes.
    @discardableResult
    func signInStaff(email: String = "staff@example.org", password: String = "staff passphrase 2024", secret: [UInt8]? = nil)
        async throws -> [UInt8]
    {
        let response = try await signIn(email: email, password: password)
        #expect(response.status == .seeOther)
        if let secret {
            #expect(response.headers.first(name: .location) == "/login/two-factor")
            try await get("/login/two-factor")
            try await post("/login/two-factor", [("code", TOTP(secret: secret).code(at: app.clock.now()))])
            return secret
        }
        #expect(response.headers.first(name: .location) == "/staff/two-factor/setup")
        let page = try await get("/staff/two-factor/setup").text
        let shown = try #require(Self.setupSecret(in: page))
        let secret = try #require(Base32.decode(shown))
        let done = try await post("/staff/two-factor/setup", [("code", TOTP(secret: secret).code(at: app.clock.now()))])
        #expect(done.headers.first(name: .location) == "/staff/two-factor/recovery-codes")
        return secret
    }

    /// The key the set-up page shows as text.
    static func setupSecret(in page: String) -> String? {
        guard let start = page.range(of: #"<p class="secret"><code>"#), let end = page[start.upperBound...].range(of: "</code>") else {
            return nil
        }
        return String(page[start.upperBound..<end.lowerBound])
    }

    /// The recovery codes shown once after set-up.
    func recoveryCodes() async throws -> [String] {
        let page = try await get("/staff/two-factor/recovery-codes").text
        return page.matches(of: try Regex(#"<li><code>([a-z0-9-]+)</code></li>"#)).map { String($0.output[1].substring ?? "") }
    }
}

/// Collects security events instead of logging them, so tests can read them.
final class CollectedSecurityEvents: SecurityEventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SecurityEvent] = []

    func record(_ event: SecurityEvent, logger: Logger) {
        lock.withLock { events.append(event) }
    }

    var all: [SecurityEvent] { lock.withLock { events } }
    func kinds() -> [SecurityEvent.Kind] { all.map(\.kind) }
}
