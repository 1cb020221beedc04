import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Housekeeping jobs (getyour jobs)")
struct JobsTests {
    @Test func expiredSessionsOldThrottleRecordsAndSpentLinksAreRemovedAndNothingElse() async throws {
        try await TestApp.run { app in
            let db = app.db(.primary)
            let browser = Browser(app)
            try await browser.signUp()
            try await Browser(app).signIn(email: "maria.lopez@example.com", password: "wrong password here")
            try await browser.get("/password-reset")
            try await browser.post("/password-reset", [("email", "maria.lopez@example.com")])
            let fresh = try #require(try await StoredSession.query(on: db).first())
            let stale = StoredSession(tokenHash: "stale", userID: nil, data: ["a": "b"], now: Date().addingTimeInterval(-2 * 3600))
            try await stale.create(on: db)
            try await ThrottleEvent(bucket: "login_account", keyHash: "old", occurredAt: Date().addingTimeInterval(-8 * 24 * 3600)).create(
                on: db)
            let spent = AccountToken()
            spent.$user.id = fresh.userID!
            spent.purpose = .passwordReset
            spent.tokenHash = "spent"
            spent.createdAt = Date().addingTimeInterval(-3 * 24 * 3600)
            spent.expiresAt = Date().addingTimeInterval(-2 * 24 * 3600)
            try await spent.create(on: db)

            let summary = try await JobsCommand.runOnce(app)
            #expect((summary.sessions, summary.throttles, summary.links) == (1, 1, 1))
            // The reset link is still in the outbox: this round sends it.
            #expect(summary.outbox.emails == 1)
            #expect(try await StoredSession.find(fresh.id, on: db) != nil)
            // Kept: the sign-up, the failed sign-in (per account and per address) and the reset
            // request (per address and per account).
            #expect(try await ThrottleEvent.query(on: db).count() == 5)
            // The sign-up confirmation used a minute ago, and the reset link just sent.
            #expect(try await AccountToken.query(on: db).count() == 2)
            try await runCommand(app, "jobs", "--once")
        }
    }
}
