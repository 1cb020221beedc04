import Eligibility
import Fluent
import Foundation
import Testing
import Vapor

@testable import GetYour

@Suite("seed --demo: every state for UAT testers (issue 13)")
struct DemoDataTests {
    func household(of email: String, _ app: Application) async throws -> (Household, [ApplicationRecord], [Enrollment]) {
        let db = app.db(.primary)
        let user = try #require(try await User.find(email: email, on: db))
        let household = try #require(try await Household.query(on: db).filter(\.$user.$id == user.requireID()).first())
        let applications = try await ApplicationRecord.query(on: db).filter(\.$household.$id == household.requireID())
            .sort(\.$startedAt).all()
        let enrollments = try await Enrollment.query(on: db).filter(\.$household.$id == household.requireID()).all()
        return (household, applications, enrollments)
    }

    @Test func stageGetsResidentsInEveryStateAndStaffPerRoleAndASecondRunChangesNothing() async throws {
        try await TestApp.run(try TestApp.settings("stage")) { app in
            let rows = try await DemoData.seed(app, emailDomain: "uat.example.org")
            #expect(rows.count == DemoData.residents.count + DemoData.staff.count)
            #expect(rows.allSatisfy { $0.password != nil && $0.email.hasSuffix("@uat.example.org") })
            #expect(Set(rows.map(\.role)) == ["resident", "verifier", "coordinator", "admin"])
            func password(_ handle: String) throws -> String {
                try #require(rows.first { $0.email == DemoData.email(handle, domain: "uat.example.org") }?.password)
            }
            func email(_ handle: String) -> String { DemoData.email(handle, domain: "uat.example.org") }

            for step in [Step.household, .members, .programs, .documents, .review] {
                let (_, applications, _) = try await household(of: email("draft-\(step.rawValue)"), app)
                #expect(applications.map(\.status) == [.draft], "draft-\(step.rawValue)")
                #expect(applications.first?.furthestStep == step, "draft-\(step.rawValue) stopped at \(step)")
            }
            #expect(try await household(of: email("submitted"), app).1.map(\.status) == [.submitted])
            #expect(try await household(of: email("needs-info"), app).1.map(\.status) == [.needsInfo])
            #expect(try await household(of: email("denied"), app).1.map(\.status) == [.denied])
            let verified = try await household(of: email("verified"), app)
            #expect(verified.1.map(\.status) == [.verified])
            #expect(verified.2.contains { $0.status == .enrolled } && verified.2.contains { $0.status == .applied })
            let started = try await household(of: email("renewal-started"), app)
            #expect(started.1.map(\.kind) == [.initial, .renewal] && started.1.last?.status == .draft)
            let expired = try await household(of: email("expired"), app)
            #expect(expired.2.contains { $0.status == .expired })

            // What a tester sees when signing in with the printed passwords.
            let due = Browser(app)
            try await due.signIn(email: email("renewal-due"), password: try password("renewal-due"))
            #expect(try await due.get("/dashboard").text.contains("Time to renew"))
            let asked = Browser(app)
            try await asked.signIn(email: email("needs-info"), password: try password("needs-info"))
            #expect(try await asked.get("/dashboard").text.contains("the photo of your ID is blurry"))
            let spanish = Browser(app)
            try await spanish.signIn(email: email("enviada"), password: try password("enviada"))
            #expect(try await spanish.get("/dashboard").text.contains("<html lang=\"es\">"))
            // The coordinator works on the programs named in the table only.
            let coordinator = try #require(try await User.find(email: email("coordinator"), on: app.db(.primary)))
            let scopes = try await StaffProgramScope.query(on: app.db(.primary)).filter(\.$user.$id == coordinator.requireID()).all()
            #expect(Set(scopes.map(\.programSlug)) == ["recreation", "grocery"])

            let counts = try await tableCounts(app)
            let again = try await DemoData.seed(app, emailDomain: "uat.example.org")
            #expect(again.allSatisfy { $0.password == nil })
            #expect(try await tableCounts(app) == counts)
        }
    }

    func tableCounts(_ app: Application) async throws -> [Int] {
        let db = app.db(.primary)
        return [
            try await User.query(on: db).count(), try await ApplicationRecord.query(on: db).count(),
            try await Enrollment.query(on: db).count(), try await Document.query(on: db).count(),
            try await OutboxMessage.query(on: db).count(), try await AuditEvent.query(on: db).count(),
        ]
    }

    @Test func productionRefusesDemoData() async throws {
        try await TestApp.run(try TestApp.settings("production")) { app in
            await #expect(throws: DemoData.Refusal.self) { _ = try await DemoData.seed(app, emailDomain: "example.org") }
            await #expect(throws: (any Error).self) { try await runCommand(app, "seed", "--demo") }
            let users = try await User.query(on: app.db(.primary)).count()
            #expect(users == 0)
        }
    }

    @Test func theDemoPDFPassesTheUploadChecks() throws {
        let data = DemoData.demoPDF(title: "DEMO photo ID - not a real document")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID()).pdf")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try MagicSniffer().mimeType(of: Array(data)) == "application/pdf")
        #expect(DocumentRules.looksComplete(type: "application/pdf", file: file, size: data.count))
    }

    /// The UAT plan is followed step by step on stage: every step says which demo account to
    /// use (or that it needs none, a new one, or a shell), and its table matches the seed.
    @Test func theUATPlanNamesADemoAccountForEveryStep() throws {
        let plan = try String(contentsOf: TestApp.root.appendingPathComponent("ref/uat_plan.md"), encoding: .utf8)
        let handles = DemoData.residents.map(\.handle) + DemoData.staff.map(\.handle)
        for handle in handles {
            #expect(plan.contains("| `\(handle)` |"), "\(handle) is missing from the plan's account table")
        }
        let steps = plan.split(separator: "\n").filter { $0.hasPrefix("- [ ] ") }
        #expect(steps.count > 50)
        for step in steps {
            let named =
                handles.contains { step.contains("`\($0)`") }
                || ["- [ ] New account", "- [ ] Signed out", "- [ ] Shell"].contains { step.hasPrefix($0) }
            #expect(named, "no account named: \(step.prefix(80))")
        }
    }
}
