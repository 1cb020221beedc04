import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Account settings (P3 step 12)")
struct AccountSettingsTests {
    let email = "maria.lopez@example.com", password = "amber kettle meadow stone"

    func signedIn(_ app: Application) async throws -> Browser {
        let browser = Browser(app)
        try await browser.signUp(email: email, password: password)
        try await browser.get("/settings")
        return browser
    }

    @Test func detailsAndLanguageCanBeChanged() async throws {
        try await TestApp.run { app in
            let browser = try await signedIn(app)
            let saved = try await browser.post(
                "/settings/profile",
                [
                    ("first_name", "María"), ("last_name", "López Ruiz"), ("phone", "970.555.0199"), ("language", "es"),
                ])
            #expect(saved.headers.first(name: .location) == "/settings?saved=profile")
            let page = try await browser.follow(saved)
            #expect(page.text.contains("<html lang=\"es\">"))
            let user = try #require(try await User.query(on: app.db(.primary)).first())
            #expect(user.firstName == "María" && user.phone == "+19705550199" && user.language == "es")
        }
    }

    @Test func badDetailsAreExplainedAndKept() async throws {
        try await TestApp.run { app in
            let browser = try await signedIn(app)
            let response = try await browser.post(
                "/settings/profile",
                [
                    ("first_name", ""), ("last_name", "López"), ("phone", "12345"), ("language", "en"),
                ])
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("Enter your first name"))
            #expect(response.text.contains("value=\"12345\""))
        }
    }

    @Test func changingThePasswordSignsOutOtherSessions() async throws {
        try await TestApp.run { app in
            let browser = try await signedIn(app)
            let other = Browser(app)
            try await other.signIn(email: email, password: password)
            #expect(try await other.get("/settings").status == .ok)
            let wrong = try await browser.post(
                "/settings/password",
                [
                    ("current_password", "not my password"), ("password", "seven quiet harbour lights"),
                    ("password_confirmation", "seven quiet harbour lights"),
                ])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.text.contains("Your current password is not right"))
            let changed = try await browser.post(
                "/settings/password",
                [
                    ("current_password", password), ("password", "seven quiet harbour lights"),
                    ("password_confirmation", "seven quiet harbour lights"),
                ])
            #expect(changed.headers.first(name: .location) == "/settings?saved=password")
            #expect(try await other.get("/apply").status == .seeOther)
            #expect(try await browser.get("/settings").status == .ok)
        }
    }

    @Test func aNewEmailTakesEffectOnlyAfterItsLinkIsOpened() async throws {
        try await TestApp.run { app in
            let browser = try await signedIn(app)
            let noPassword = try await browser.post(
                "/settings/email", [("new_email", "maria.new@example.com"), ("email_change_password", "wrong")])
            #expect(noPassword.status == .unprocessableEntity)
            let requested = try await browser.post(
                "/settings/email", [("new_email", "Maria.New@example.com"), ("email_change_password", password)])
            #expect(requested.headers.first(name: .location) == "/settings?saved=email_sent")
            #expect(try await User.query(on: app.db(.primary)).first()?.email == email)
            let link = try #require(try await app.lastLink(to: "maria.new@example.com"))
            #expect(try await app.sentMail().contains { $0.contains("To: \(email)") && $0.contains("being changed") })
            try await browser.get(link)
            let confirmed = try await browser.post(link)
            #expect(confirmed.headers.first(name: .location) == "/settings?saved=email_changed")
            #expect(try await User.query(on: app.db(.primary)).first()?.email == "maria.new@example.com")
            #expect(try await Browser(app).get(link).status == .gone)
        }
    }

    @Test(arguments: ["/settings/profile", "/settings/password", "/settings/email"])
    func everySettingsFormNeedsItsCSRFToken(path: String) async throws {
        try await TestApp.run { app in
            let browser = try await signedIn(app)
            let response = try await browser.post(path, [("first_name", "X")], csrf: false)
            #expect(response.status == .forbidden)
        }
    }
}
