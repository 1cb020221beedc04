import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Sign-up (P3 step 3)")
struct SignUpTests {
    @Test func aNewResidentIsSignedInAndSentToTheApplication() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            let response = try await browser.signUp(email: "  Maria.Lopez@Example.COM ")
            #expect(response.status == .seeOther)
            #expect(response.headers.first(name: .location) == "/apply")
            let user = try #require(try await User.query(on: app.db(.primary)).first())
            #expect(user.email == "maria.lopez@example.com")
            #expect(user.phone == "+19705550142")
            #expect(user.role == .resident)
            #expect(user.passwordHash.hasPrefix("$2"))
            #expect(!user.passwordHash.contains("river"))
            let apply = try await browser.follow(response)
            #expect(apply.headers.first(name: .location) == "/apply/get-ready")
            let ready = try await browser.follow(apply)
            #expect(ready.status == .ok)
            #expect(ready.text.contains("Before you start"))
        }
    }

    @Test(arguments: [
        ("first_name", "", "Enter your first name"),
        ("last_name", "  ", "Enter your last name"),
        ("email", "", "Enter your email address"),
        ("email", "maria@", "Enter an email address in the right format"),
        ("phone", "", "Enter your phone number"),
        ("phone", "555-0142", "Enter a US phone number with its area code"),
        ("phone", "(070) 555-0142", "Enter a US phone number with its area code"),
        ("password", "short pass", "at least 12 characters"),
        ("password", String(repeating: "ab", count: 65), "at most 128 characters"),
        ("password", "aaaaaaaaaaaaaaaa", "cannot be one character repeated"),
        ("password", "maria.lopez@example.com", "cannot be or contain your email address"),
        ("password", "marialopez2024", "cannot be your name"),
        ("password", "qwerty123456", "too common"),
        ("password", "password1234", "too common"),
        ("password", "sunshinesunshine", "too common"),
        ("password_confirmation", "amber kettle meadow stones", "The passwords do not match"),
        ("language", "fr", "Choose English or Spanish"),
        ("privacy_ack", "", "Confirm that you have read"),
    ])
    func eachRuleHasItsOwnMessageAndKeepsWhatWasTyped(field: String, value: String, message: String) async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.get("/signup")
            var overrides = [field: value]
            if field == "password" { overrides["password_confirmation"] = value }
            let response = try await browser.post("/signup", signUpForm(overrides: overrides))
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains(message))
            #expect(response.text.contains("There is a problem"))
            #expect(response.text.contains("href=\"#field-\(field.replacingOccurrences(of: "_", with: "-"))\""))
            #expect(response.text.contains("aria-invalid=\"true\""))
            if field != "first_name" { #expect(response.text.contains("value=\"Maria\"")) }
            if field != "phone" { #expect(response.text.contains("value=\"(970) 555-0142\"")) }
            // Passwords are never sent back.
            #expect(!response.text.contains("amber kettle meadow stone"))
            #expect(try await User.query(on: app.db(.primary)).count() == 0)
        }
    }

    @Test func anEmailIsUniqueWhateverItsCase() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: "maria.lopez@example.com")
            let second = Browser(app)
            try await second.get("/signup")
            let response = try await second.post("/signup", signUpForm(email: "MARIA.Lopez@example.com"))
            // The same answer as for a new address (no enumeration, P10); the owner is told.
            #expect(response.headers.first(name: .location) == "/signup/check-email")
            #expect(try await app.sentMail().last?.contains("Kind: signup_existing") == true)
            #expect(try await User.query(on: app.db(.primary)).count() == 1)
        }
    }

    @Test func passwordsLongerThanBcryptsLimitCountInFull() async throws {
        try await TestApp.run { app in
            let long = String(repeating: "correct horse ", count: 6)  // 84 characters
            try await Browser(app).signUp(password: long + "A")
            let wrong = try await Browser(app).signIn(email: "maria.lopez@example.com", password: long + "B")
            #expect(wrong.status == .unprocessableEntity)
            let right = try await Browser(app).signIn(email: "maria.lopez@example.com", password: long + "A")
            #expect(right.status == .seeOther)
        }
    }

    @Test func signUpIsRateLimitedPerClientAddress() async throws {
        try await TestApp.run(try TestApp.settings(variables: ["GETYOUR_LIMITS_SIGNUPS": "2"])) { app in
            try await Browser(app).signUp(email: "one@example.com")
            try await Browser(app).signUp(email: "two@example.com")
            let third = try await Browser(app).signUp(email: "three@example.com")
            #expect(third.status == .tooManyRequests)
            #expect(third.text.contains("Too many attempts"))
            #expect(try await User.query(on: app.db(.primary)).count() == 2)
        }
    }

    @Test func theFormNeedsItsCSRFToken() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.get("/signup")
            let response = try await browser.post("/signup", signUpForm(), csrf: false)
            #expect(response.status == .forbidden)
            #expect(try await User.query(on: app.db(.primary)).count() == 0)
        }
    }
}
