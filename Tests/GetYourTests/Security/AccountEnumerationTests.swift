import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("No account enumeration; confirmation links need a button (P10, issue 8)")
struct AccountEnumerationTests {
    @Test func signUpWithATakenEmailAnswersExactlyLikeANewOneAndTellsTheOwner() async throws {
        try await TestApp.run(try TestApp.settings(variables: ["GETYOUR_LIMITS_SIGNUPS": "100"])) { app in
            try await Browser(app).signUp(email: "maria.lopez@example.com")
            var newTimes: [Double] = [], takenTimes: [Double] = []
            var answers = Set<String>()
            for index in 0..<20 {
                for taken in [false, true] {
                    let browser = Browser(app)
                    try await browser.get("/signup")
                    let email = taken ? "MARIA.Lopez@example.com" : "new.person\(index)@example.com"
                    let start = ContinuousClock.now
                    let response = try await browser.post("/signup", signUpForm(email: email))
                    let elapsed = ContinuousClock.now - start
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    if taken { takenTimes.append(seconds) } else { newTimes.append(seconds) }
                    let cookies = response.headers[.setCookie].map { $0.split(separator: "=")[0] }.sorted()
                    answers.insert("\(response.status.code) \(response.headers.first(name: .location) ?? "") \(response.text) \(cookies)")
                }
            }
            #expect(answers.count == 1, "\(answers)")
            #expect(answers.first?.hasPrefix("303 /signup/check-email") == true)
            // Both do the same work (a hash, an email): medians within noise of each other.
            let median = { (times: [Double]) in times.sorted()[times.count / 2] }
            #expect(abs(median(newTimes) - median(takenTimes)) < max(0.02, median(newTimes) * 0.5), "\(newTimes) vs \(takenTimes)")
            #expect(try await User.query(on: app.db(.primary)).filter(\.$email == "maria.lopez@example.com").count() == 1)
            let all = try await app.sentMail()
            let toOwner = all.filter { $0.contains("To: maria.lopez@example.com") && $0.contains("Kind: signup_existing") }
            // Twenty attempts between two runs of the worker: the owner gets one notice (P8 batching).
            #expect(toOwner.count == 1, "\(all.map { $0.prefix(120) })")
            #expect(toOwner.first?.contains("already has an account") == true)
        }
    }

    @Test func aNewAccountWaitsForItsEmailToBeConfirmed() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.get("/signup")
            let created = try await browser.post("/signup", signUpForm())
            #expect(created.headers.first(name: .location) == "/signup/check-email")
            #expect(try await browser.follow(created).text.contains("Check your email"))
            // Signing in first only sends the link again.
            let early = try await Browser(app).signIn(email: "maria.lopez@example.com", password: "amber kettle meadow stone")
            #expect(early.status == .forbidden)
            #expect(early.text.contains("Confirm your email address first"))
            // Both links go out in one email (the worker joins mail to one address), both working.
            let confirmations = try await app.sentMail().filter { $0.contains("Kind: signup_confirm") }
            #expect(confirmations.count == 1)
            // Each link three times: once in the text, twice in the HTML (the address and the link).
            #expect(confirmations.first?.components(separatedBy: "/signup/confirm/").count == 7)
            // A link scanner's GET changes nothing; the button's POST confirms and signs in.
            let link = try #require(try await app.lastLink(to: "maria.lopez@example.com"))
            let scanned = try await Browser(app).get(link)
            #expect(scanned.text.contains("Confirm my email address"))
            #expect(try await User.query(on: app.db(.primary)).first()?.emailConfirmedAt == nil)
            let confirmed = try await browser.post(link)
            #expect(confirmed.headers.first(name: .location) == "/apply")
            #expect(try await browser.get("/apply/get-ready").status == .ok)
            // Used once, the link is spent.
            #expect(try await browser.post(link).status == .gone)
        }
    }

    @Test func theEmailChangeChecksThePasswordBeforeSayingAnAddressIsTaken() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: "someone.else@example.com")
            let browser = Browser(app)
            try await browser.signUp(email: "maria.lopez@example.com")
            try await browser.get("/settings")
            let wrong = try await browser.post(
                "/settings/email", [("new_email", "someone.else@example.com"), ("email_change_password", "not my password at all")])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.text.contains("Your current password is not right"))
            #expect(!wrong.text.contains("already exists"))
            let right = try await browser.post(
                "/settings/email", [("new_email", "someone.else@example.com"), ("email_change_password", "amber kettle meadow stone")])
            #expect(right.text.contains("An account with this email address already exists"))
        }
    }

    @Test func currentPasswordChecksInSettingsAreThrottled() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            try await browser.get("/settings")
            for _ in 0..<5 {
                let wrong = try await browser.post(
                    "/settings/password",
                    [
                        ("current_password", "guess guess guess"), ("password", "a brand new passphrase"),
                        ("password_confirmation", "a brand new passphrase"),
                    ])
                #expect(wrong.text.contains("Your current password is not right"))
            }
            let paused = try await browser.post(
                "/settings/password",
                [
                    ("current_password", "amber kettle meadow stone"), ("password", "a brand new passphrase"),
                    ("password_confirmation", "a brand new passphrase"),
                ])
            #expect(paused.status == .unprocessableEntity)
            #expect(paused.text.contains("Too many wrong passwords"))
        }
    }

    @Test func resetRequestsAreLimitedPerAccountAndANewOneKeepsTheEarlierLink() async throws {
        try await TestApp.run(try TestApp.settings(variables: ["GETYOUR_LIMITS_PASSWORD_RESETS_PER_ACCOUNT": "2"])) { app in
            try await Browser(app).signUp(email: "maria.lopez@example.com")
            func request() async throws -> HTTPStatus {
                let browser = Browser(app)
                try await browser.get("/password-reset")
                return try await browser.post("/password-reset", [("email", "maria.lopez@example.com")]).status
            }
            #expect(try await request() == .seeOther)
            let first = try #require(try await app.lastLink(to: "maria.lopez@example.com"))
            #expect(try await request() == .seeOther)
            #expect(try await request() == .seeOther)  // same answer, but nothing more is sent
            #expect(try await app.sentMail().filter { $0.contains("Kind: password_reset") }.count == 2)
            let browser = Browser(app)
            #expect(try await browser.get(first).status == .ok)
            let chosen = try await browser.post(
                first, [("password", "a brand new passphrase"), ("password_confirmation", "a brand new passphrase")])
            #expect(chosen.headers.first(name: .location) == "/login?reset=1")
        }
    }

    @Test func anEmailChangeIsConfirmedByAButtonAndTheOldAddressIsTold() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp(email: "maria.lopez@example.com")
            try await browser.get("/settings")
            try await browser.post(
                "/settings/email", [("new_email", "maria.new@example.com"), ("email_change_password", "amber kettle meadow stone")])
            let link = try #require(try await app.lastLink(to: "maria.new@example.com"))
            #expect(try await Browser(app).get(link).status == .ok)
            #expect(try await User.query(on: app.db(.primary)).first()?.email == "maria.lopez@example.com")
            try await browser.get(link)
            try await browser.post(link)
            #expect(try await User.query(on: app.db(.primary)).first()?.email == "maria.new@example.com")
            #expect(try await app.sentMail().contains { $0.contains("To: maria.lopez@example.com") && $0.contains("Kind: email_changed") })
        }
    }

    @Test func aPasswordChangeIsToldToTheAccountsAddress() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            try await browser.get("/settings")
            try await browser.post(
                "/settings/password",
                [
                    ("current_password", "amber kettle meadow stone"), ("password", "a brand new passphrase"),
                    ("password_confirmation", "a brand new passphrase"),
                ])
            #expect(
                try await app.sentMail().contains { $0.contains("To: maria.lopez@example.com") && $0.contains("Kind: password_changed") })
        }
    }
}
