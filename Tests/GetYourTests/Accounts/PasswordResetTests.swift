import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Password reset (P3 step 13)")
struct PasswordResetTests {
    let email = "maria.lopez@example.com", password = "amber kettle meadow stone", newPassword = "seven quiet harbour lights"

    @discardableResult
    func requestReset(_ app: Application, for address: String) async throws -> TestingHTTPResponse {
        let browser = Browser(app)
        try await browser.get("/password-reset")
        return try await browser.post("/password-reset", [("email", address)])
    }

    @Test func theAnswerIsTheSameWhetherOrNotTheAccountExists() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let known = try await requestReset(app, for: "MARIA.LOPEZ@example.com")
            let unknown = try await requestReset(app, for: "nobody@example.com")
            #expect(known.status == .seeOther && unknown.status == .seeOther)
            #expect(known.headers.first(name: .location) == unknown.headers.first(name: .location))
            let mail = try await app.sentMail().filter { $0.contains("Kind: password_reset") }
            #expect(mail.count == 1)
            #expect(mail.first?.contains("To: \(email)") == true)
            // The link is built from the configured public address, not the request's host.
            #expect(try await app.lastLink(to: email)?.hasPrefix("/password-reset/") == true)
        }
    }

    @Test func aValidLinkSetsANewPasswordAndSignsOutEverywhere() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let elsewhere = Browser(app)
            try await elsewhere.signIn(email: email, password: password)
            try await requestReset(app, for: email)
            let link = try #require(try await app.lastLink(to: email))
            let browser = Browser(app)
            let form = try await browser.get(link)
            #expect(form.status == .ok)
            #expect(form.text.contains("Choose a new password"))
            let done = try await browser.post(link, [("password", newPassword), ("password_confirmation", newPassword)])
            #expect(done.status == .seeOther)
            #expect(done.headers.first(name: .location) == "/login?reset=1")
            #expect(try await elsewhere.get("/apply").status == .seeOther)
            #expect(try await Browser(app).signIn(email: email, password: password).status == .unprocessableEntity)
            #expect(try await Browser(app).signIn(email: email, password: newPassword).status == .seeOther)
        }
    }

    @Test func aUsedLinkDoesNotWorkTwice() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            try await requestReset(app, for: email)
            let link = try #require(try await app.lastLink(to: email))
            let browser = Browser(app)
            try await browser.get(link)
            try await browser.post(link, [("password", newPassword), ("password_confirmation", newPassword)])
            let again = try await browser.get(link)
            #expect(again.status == .gone)
            #expect(again.text.contains("This link does not work any more"))
            let replay = try await browser.post(
                link, [("password", "another fresh passphrase"), ("password_confirmation", "another fresh passphrase")])
            #expect(replay.status == .gone)
            #expect(try await Browser(app).signIn(email: email, password: newPassword).status == .seeOther)
        }
    }

    @Test func anExpiredLinkDoesNotWork() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            try await requestReset(app, for: email)
            let link = try #require(try await app.lastLink(to: email))
            try await AccountToken.query(on: app.db(.primary)).set(\.$expiresAt, to: Date().addingTimeInterval(-1)).update()
            #expect(try await Browser(app).get(link).status == .gone)
        }
    }

    @Test func onlyTheHashOfTheTokenIsStored() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            try await requestReset(app, for: email)
            let secret = try #require(try await app.lastLink(to: email)?.split(separator: "/").last.map(String.init))
            let stored = try #require(try await AccountToken.query(on: app.db(.primary)).filter(\.$purpose == .passwordReset).first())
            #expect(stored.tokenHash != secret)
            #expect(stored.tokenHash == AccountToken.hash(secret))
        }
    }

    @Test func theNewPasswordFollowsTheRules() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            try await requestReset(app, for: email)
            let link = try #require(try await app.lastLink(to: email))
            let browser = Browser(app)
            try await browser.get(link)
            let short = try await browser.post(link, [("password", "too short"), ("password_confirmation", "too short")])
            #expect(short.status == .unprocessableEntity)
            #expect(short.text.contains("at least 12 characters"))
            let mismatch = try await browser.post(link, [("password", newPassword), ("password_confirmation", newPassword + "x")])
            #expect(mismatch.text.contains("The passwords do not match"))
        }
    }

    @Test func badEmailsAndMissingTokensAreExplained() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.get("/password-reset")
            let bad = try await browser.post("/password-reset", [("email", "not-an-email")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("value=\"not-an-email\""))
            let noToken = try await browser.post("/password-reset", [("email", email)], csrf: false)
            #expect(noToken.status == .forbidden)
        }
    }
}

@Suite("Every account form refuses a missing CSRF token")
struct AccountCSRFTests {
    @Test func choosingANewPasswordAndSigningOutNeedTheToken() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            try await browser.get("/password-reset")
            try await browser.post("/password-reset", [("email", "maria.lopez@example.com")])
            let link = try #require(try await app.lastLink(to: "maria.lopez@example.com"))
            try await browser.get(link)
            let choose = try await browser.post(
                link, [("password", "seven quiet harbour lights"), ("password_confirmation", "seven quiet harbour lights")], csrf: false)
            #expect(choose.status == .forbidden)
            #expect(
                try await Browser(app).signIn(email: "maria.lopez@example.com", password: "seven quiet harbour lights").status
                    == .unprocessableEntity)
            let signedIn = Browser(app)
            try await signedIn.signIn(email: "maria.lopez@example.com", password: "amber kettle meadow stone")
            #expect(try await signedIn.post("/logout", csrf: false).status == .forbidden)
            #expect(try await signedIn.get("/settings").status == .ok)
        }
    }
}
