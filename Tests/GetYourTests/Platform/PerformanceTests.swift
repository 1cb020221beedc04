import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// What issue 16's speed work must keep: each visitor's own form token on cached pages,
/// program changes shown at once, a fixed number of statements per page, no session write
/// on a request that changed nothing, hashing on its own low-priority threads.
@Suite(.serialized) struct PerformanceTests {
    /// The statements one request runs (in-memory requests log through `app.logger`).
    func statements(_ app: Application, _ request: () async throws -> Void) async throws -> Int {
        let counter = StatementCounter()
        let saved = app.logger
        app.logger = Logger(label: "count") { _ in counter }
        defer { app.logger = saved }
        try await request()
        return counter.statements
    }

    @Test func anonymousPagesAreStoredButEachVisitorGetsTheirOwnFormToken() async throws {
        try await TestApp.run { app in
            let first = Browser(app), second = Browser(app)
            let firstPage = try await first.get("/")
            #expect(firstPage.status == .ok)
            var secondPage: TestingHTTPResponse?
            let warm = try await statements(app) { secondPage = try await second.get("/") }
            #expect(warm == 0, "the stored landing page ran \(warm) statements")
            let firstToken = try #require(first.csrfToken), secondToken = try #require(second.csrfToken)
            #expect(firstToken != secondToken)
            #expect(first.cookies["getyour_csrf"] == firstToken)
            #expect(second.cookies["getyour_csrf"] == secondToken)
            #expect(secondPage?.text.contains(PublicPageCache.tokenMarker) == false)
            #expect(secondPage?.text.contains("Recreation") == true)
            #expect(secondPage?.headers.contentType == .html)
            // The stored page's form posts with the visitor's own token.
            let check = try await second.post(
                "/address-check",
                [("street", "300 Civic Center Dr"), ("unit", ""), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521")])
            #expect(check.status == .ok)
            #expect(check.text.contains("is in the Get-Your service area"))
            // A visitor with a token keeps it on the stored page.
            try await second.get("/login")
            #expect(second.csrfToken == secondToken)
        }
    }

    @Test func thePublicPagesFollowTheLanguageAndShowProgramChangesAtOnce() async throws {
        try await TestApp.run { app in
            let visitor = Browser(app)
            #expect(try await visitor.get("/programs").text.contains("Recreation Reduced Fee"))
            let spanish = try await visitor.get("/programs?lang=es")
            #expect(spanish.text.contains("lang=\"es\""))
            let program = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "recreation").first())
            program.nameEN = "Recreation Pass for Everyone"
            try await program.save(on: app.db(.primary))
            let english = try await Browser(app).get("/programs")
            #expect(english.text.contains("Recreation Pass for Everyone"))
            #expect(try await Browser(app).get("/").text.contains("Recreation Pass for Everyone"))
        }
    }

    @Test func theSignInPageWithANoticeOrANextIsRenderedForThatRequest() async throws {
        try await TestApp.run { app in
            let visitor = Browser(app)
            #expect(try await visitor.get("/login").status == .ok)
            let expired = try await visitor.get("/login?expired=1")
            #expect(expired.text.contains("You were signed out"))
            let next = try await visitor.get("/login?next=/settings")
            #expect(next.text.contains("value=\"/settings\""))
            let plain = try await visitor.get("/login")
            #expect(!plain.text.contains("You were signed out"))
            #expect(!plain.text.contains("value=\"/settings\""))
        }
    }

    @Test func theDashboardRunsAFixedSmallNumberOfStatementsAndLeavesTheSessionAlone() async throws {
        try await TestApp.run { app in
            let resident = Browser(app)
            try await resident.submitApplication()
            #expect(try await resident.get("/dashboard").status == .ok)  // first visit: marks the explanation seen
            let before = try await statements(app) {
                let page = try await resident.get("/dashboard")
                #expect(page.status == .ok)
            }
            // More programs and enrollments: the same statements.
            let household = try #require(try await Household.query(on: app.db(.primary)).first())
            for program in try await BenefitProgram.query(on: app.db(.primary)).all() {
                _ = try await Enrollment.apply(
                    householdID: try household.requireID(), programID: try program.requireID(), applicationID: nil, on: app.db(.primary))
            }
            let after = try await statements(app) {
                let page = try await resident.get("/dashboard")
                #expect(page.status == .ok)
            }
            #expect(before == after, "\(before) statements before, \(after) with every program applied for")
            #expect(after <= 9, "the dashboard ran \(after) statements")
            // Pages that change nothing do not write the session (its idle deadline moves at most once a minute).
            let seen = try #require(try await StoredSession.query(on: app.db(.primary)).first()).lastSeenAt
            #expect(try await resident.get("/dashboard").status == .ok)
            #expect(try await StoredSession.query(on: app.db(.primary)).first()?.lastSeenAt == seen)
        }
    }

    @Test func passwordsAreHashedOnTheirOwnLowPriorityThreads() async throws {
        let threads = HashingThreads(threads: 2)
        let answers = try await withThrowingTaskGroup(of: (String, Int32).self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await threads.run {
                        (Thread.current.name ?? "", getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 6)
        #expect(answers.allSatisfy { $0.0.hasPrefix("bcrypt-") })
        #expect(answers.allSatisfy { $0.1 == HashingThreads.niceness })
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == 0, "the test's own thread keeps its priority")
        let hasher = try PasswordHasher(cost: 4, threads: threads)
        let hash = try await hasher.hash("amber kettle meadow stone")
        #expect(try await hasher.verify("amber kettle meadow stone", against: hash))
        #expect(!(try await hasher.verify("amber kettle meadow stones", against: hash)))
    }
}
