import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// A valid sign-up form; override fields to test one failure at a time.
func signUpForm(
    email: String = "maria.lopez@example.com", password: String = "amber kettle meadow stone",
    overrides: [String: String] = [:]
) -> [(String, String)] {
    var fields: [(String, String)] = [
        ("first_name", "Maria"), ("last_name", "Lopez"), ("email", email), ("phone", "(970) 555-0142"),
        ("password", password), ("password_confirmation", password), ("language", "en"), ("privacy_ack", "yes"),
    ]
    for (name, value) in overrides {
        if let index = fields.firstIndex(where: { $0.0 == name }) { fields[index].1 = value } else { fields.append((name, value)) }
    }
    return fields.filter { !$0.1.isEmpty || overrides[$0.0] == nil }
}

extension Browser {
    /// Signs up through the real pages, opens the confirmation link from the email and
    /// presses its button; returns the response to that last POST (signed in, to `/apply`).
    @discardableResult
    func signUp(email: String = "maria.lopez@example.com", password: String = "amber kettle meadow stone") async throws
        -> TestingHTTPResponse
    {
        try await get("/signup")
        let created = try await post("/signup", signUpForm(email: email, password: password))
        guard created.headers.first(name: .location) == "/signup/check-email" else { return created }
        return try await confirmEmail(User.normalise(email: email))
    }

    /// Follows the newest confirmation link sent to `email`.
    @discardableResult
    func confirmEmail(_ email: String) async throws -> TestingHTTPResponse {
        let link = try #require(try await app.lastLink(to: email))
        try await get(link)
        return try await post(link)
    }

    @discardableResult
    func signIn(email: String, password: String, next: String? = nil) async throws -> TestingHTTPResponse {
        try await get(next.map { "/login?next=\($0)" } ?? "/login")
        var fields = [("email", email), ("password", password)]
        if let next { fields.append(("next", next)) }
        return try await post("/login", fields)
    }

    var sessionCookie: String? { cookies["getyour_session"] }
}

extension Application {
    /// Delivers what the outbox holds (as `getyour jobs` does), then returns every email the
    /// local mailer wrote, oldest first.
    func sentMail() async throws -> [String] {
        try await deliverOutbox()
        return try FileMailer(folder: settings.paths.mailDirectory).messages()
    }

    /// Every text message the local sender wrote, after delivering the outbox.
    func sentTexts() async throws -> [String] {
        try await deliverOutbox()
        return try FileTexter(folder: settings.paths.smsDirectory).messages()
    }

    /// One worker round at a time: a test that runs residents in parallel reads its mail only
    /// after the round that claimed it has written it.
    func deliverOutbox() async throws {
        try await deliveryLock.run { _ = try await OutboxWorker(app: self).run() }
    }

    /// The first link to this site in the newest message sent to `address`.
    func lastLink(to address: String) async throws -> String? {
        guard let message = try await sentMail().last(where: { $0.contains("To: \(address)") }) else { return nil }
        let base = settings.publicBaseURL
        guard let start = message.range(of: base) else { return nil }
        let rest = message[start.upperBound...]
        return String(rest.prefix { !$0.isWhitespace })
    }
}

/// One outbox delivery at a time across the whole test run.
let deliveryLock = SerialLock()
