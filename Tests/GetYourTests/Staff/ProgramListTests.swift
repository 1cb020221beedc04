import Eligibility
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// Households for the coordinator tests: verified or not, each applied to recreation.
struct ProgramScene {
    let app: Application
    let verifier: Browser

    static func make(_ app: Application) async throws -> ProgramScene {
        try await makeStaff(app, role: .verifier, email: "verifier@city.example")
        let verifier = Browser(app)
        try await verifier.signInStaff(email: "verifier@city.example")
        return ProgramScene(app: app, verifier: verifier)
    }

    /// A resident who submitted (and, when `verified`, was verified by staff), then applied to
    /// `program` from the dashboard. Returns the resident's browser and household id.
    @discardableResult
    func household(_ email: String, verified: Bool = true, program: String = "recreation") async throws -> (Browser, UUID) {
        let resident = Browser(app)
        try await resident.submitApplication(email: email)
        let user = try #require(try await User.find(email: email, on: app.db(.primary)))
        let household = try #require(try await Household.query(on: app.db(.primary)).filter(\.$user.$id == user.requireID()).first())
        let application = try #require(
            try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$household.$id == household.requireID()).first())
        if verified {
            try await verifier.get("/staff/households/\(try household.requireID().uuidString.lowercased())")
            let done = try await verifier.decide("/staff/applications/\(try application.requireID().uuidString.lowercased())/verify")
            #expect(done.status == .seeOther)
        }
        try await resident.get("/dashboard")
        let applied = try await resident.post("/dashboard/programs/\(program)/apply")
        #expect(applied.status == .seeOther, "\(email) could not apply to \(program)")
        return (resident, try household.requireID())
    }

    /// A signed-in coordinator of `programs`.
    func coordinator(_ email: String = "coordinator@city.example", programs: [String] = ["recreation"]) async throws -> Browser {
        let user = try await makeStaff(app, role: .coordinator, email: email)
        for slug in programs { try await StaffProgramScope(userID: try user.requireID(), programSlug: slug).create(on: app.db(.primary)) }
        let browser = Browser(app)
        try await browser.signInStaff(email: email)
        return browser
    }

    func enrollment(_ household: UUID, _ slug: String = "recreation") async throws -> Enrollment {
        let program = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == slug).first())
        return try #require(
            try await Enrollment.query(on: app.db(.primary)).filter(\.$household.$id == household)
                .filter(\.$program.$id == program.requireID()).first())
    }
}

@Suite("Program coordinators: lists, decisions and the CSV export (P7, issue 11)")
struct ProgramListTests {
    @Test func aCoordinatorEnrollsOnlyVerifiedHouseholdsOfTheirOwnProgram() async throws {
        try await TestApp.run { app in
            let scene = try await ProgramScene.make(app)
            let (resident, maria) = try await scene.household("maria.lopez@example.com")
            let (_, unverified) = try await scene.household("second.person@example.com", verified: false)
            let coordinator = try await scene.coordinator()

            let home = try await coordinator.get("/staff")
            #expect(home.text.contains("href=\"/staff/programs/recreation\""))
            #expect(!home.text.contains("href=\"/staff/programs/grocery\""))
            let list = try await coordinator.get("/staff/programs/recreation")
            #expect(list.status == .ok)
            #expect(list.text.contains("Applied <span class=\"count\">(1)</span>"))
            #expect(list.text.contains("value=\"\(maria.uuidString.lowercased())\""))
            #expect(!list.text.contains(unverified.uuidString.lowercased()))  // not verified: not listed

            // Another program's list, export and decisions are not theirs; staff who verify and
            // residents do not work on programs at all.
            #expect(try await coordinator.get("/staff/programs/grocery").status == .forbidden)
            #expect(try await coordinator.get("/staff/programs/grocery/export.csv").status == .forbidden)
            #expect(
                try await coordinator.post(
                    "/staff/programs/grocery/decisions", [("households", maria.uuidString), ("decision", "enroll")]
                ).status == .forbidden)
            #expect(try await scene.verifier.get("/staff/programs/recreation").status == .forbidden)
            #expect(try await resident.get("/staff/programs/recreation").status == .notFound)

            // An unverified household cannot be enrolled, even by a crafted POST: nothing changes.
            try await coordinator.get("/staff/programs/recreation")
            let refused = try await coordinator.post(
                "/staff/programs/recreation/decisions", [("households", unverified.uuidString), ("decision", "enroll")])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.text.contains("Nothing was changed"))
            #expect(try await scene.enrollment(unverified).status == .applied)
            let noReason = try await coordinator.post(
                "/staff/programs/recreation/decisions", [("households", maria.uuidString), ("decision", "decline"), ("reason", " ")])
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.text.contains("Write the reason the resident will read"))
            #expect(
                noReason.text.contains(
                    "value=\"\(maria.uuidString.lowercased())\" id=\"household-\(maria.uuidString.lowercased())\" checked"))

            let enrolled = try await coordinator.post(
                "/staff/programs/recreation/decisions", [("households", maria.uuidString), ("decision", "enroll")])
            #expect(enrolled.headers.first(name: .location) == "/staff/programs/recreation?status=applied&done=enrolled")
            let enrollment = try await scene.enrollment(maria)
            #expect(enrollment.status == .enrolled && enrollment.enrolledAt != nil && enrollment.enrolledBy != nil)
            // Recreation renews every year: valid to the end of the verification day a year on.
            let verifiedAt = try #require(try await ProgramDecisions.lastVerification(of: [maria], on: app.db(.primary))[maria])
            let expected = RenewalDates(timeZone: Request.cityTimeZone).expiry(verifiedAt: verifiedAt, renewalYears: 1)
            #expect(enrollment.expiresAt.map { abs($0.timeIntervalSince(expected!)) < 1 } == true)
            let audit = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "enrollment.enrolled").all()
            #expect(audit.count == 1 && audit.first?.householdID == maria && audit.first?.programSlug == "recreation")

            // The resident sees it and is told.
            let dashboard = try await resident.get("/dashboard")
            #expect(dashboard.text.contains("<h2 id=\"enrolled-heading\">Enrolled</h2>"))
            #expect(dashboard.text.contains("Enrolled until "))
            let mail = try #require(try await app.sentMail().last { $0.contains("To: maria.lopez@example.com") })
            #expect(mail.contains("You are now enrolled in"))

            // Deciding again is refused: it was decided already.
            let again = try await coordinator.post(
                "/staff/programs/recreation/decisions", [("households", maria.uuidString), ("decision", "decline"), ("reason", "x")])
            #expect(again.status == .unprocessableEntity)
            #expect(again.text.contains("Already decided"))
            #expect(try await scene.enrollment(maria).status == .enrolled)
            let enrolledTab = try await coordinator.get("/staff/programs/recreation?status=enrolled")
            #expect(enrolledTab.text.contains("Enrolled <span class=\"count\">(1)</span>"))
        }
    }

    @Test func aBulkDecisionIsOneTransactionAndADeclineTellsTheReason() async throws {
        try await TestApp.run { app in
            let scene = try await ProgramScene.make(app)
            let (_, first) = try await scene.household("first.person@example.com")
            let (resident, second) = try await scene.household("second.person@example.com")
            try await makeStaff(app, role: .admin, email: "admin@city.example")
            let admin = Browser(app)
            try await admin.signInStaff(email: "admin@city.example")
            try await admin.get("/staff/programs/recreation")
            try await admin.post("/staff/programs/recreation/decisions", [("households", first.uuidString), ("decision", "enroll")])

            // One of the two was decided already: the whole decision is refused, the other untouched.
            try await admin.get("/staff/programs/recreation")
            let mixed = try await admin.post(
                "/staff/programs/recreation/decisions",
                [
                    ("households", first.uuidString), ("households", second.uuidString), ("decision", "decline"),
                    ("reason", "Outside the program's area."),
                ])
            #expect(mixed.status == .unprocessableEntity)
            #expect(try await scene.enrollment(second).status == .applied)
            #expect(try await scene.enrollment(first).status == .enrolled)

            let declined = try await admin.post(
                "/staff/programs/recreation/decisions",
                [("households", second.uuidString), ("decision", "decline"), ("reason", "Outside the program's area.")])
            #expect(declined.status == .seeOther)
            let enrollment = try await scene.enrollment(second)
            #expect(enrollment.status == .declined && enrollment.declineReason == "Outside the program's area.")
            let dashboard = try await resident.get("/dashboard")
            #expect(dashboard.text.contains("Not accepted"))
            #expect(dashboard.text.contains("Outside the program&#39;s area.") || dashboard.text.contains("Outside the program's area."))
            let mail = try #require(try await app.sentMail().last { $0.contains("To: second.person@example.com") })
            #expect(mail.contains("Kind: declined") || mail.contains("+declined"))
            #expect(mail.contains("Outside the program's area."))
            let tab = try await admin.get("/staff/programs/recreation?status=declined")
            #expect(tab.text.contains("Outside the program&#39;s area.") || tab.text.contains("Outside the program's area."))
        }
    }

    @Test func theExportHasTheDepartmentsColumnsNeutralisesFormulasAndIsScoped() async throws {
        try await TestApp.run { app in
            let scene = try await ProgramScene.make(app)
            try await scene.household("maria.lopez@example.com")
            try await scene.household("second.person@example.com")
            // Names as a hostile resident might type them.
            let user = try #require(try await User.find(email: "maria.lopez@example.com", on: app.db(.primary)))
            user.firstName = "=HYPERLINK(\"http://evil.example\")"
            user.lastName = "@SUM(1+1)"
            try await user.update(on: app.db(.primary))
            let coordinator = try await scene.coordinator()
            let response = try await coordinator.get("/staff/programs/recreation/export.csv")
            #expect(response.status == .ok)
            #expect(response.headers.contentType?.description.hasPrefix("text/csv") == true)
            #expect(response.headers.first(name: .contentDisposition)?.contains("recreation-households.csv") == true)
            let lines = response.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.count == 3)
            #expect(
                lines.first
                    == "\"reference\",\"first_name\",\"last_name\",\"email\",\"phone\",\"preferred_language\",\"mailing_street\",\"mailing_unit\",\"mailing_city\",\"mailing_state\",\"mailing_zip\",\"applied\",\"verified\",\"status\",\"enrolled\",\"expires\",\"decline_reason\""
            )
            let row = try #require(lines.first { $0.contains("maria.lopez@example.com") })
            #expect(row.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\",\"'@SUM(1+1)\""))
            #expect(row.contains("\"(970) 555-0142\",\"en\""))
            #expect(row.contains("\"applied\""))
            #expect(lines.contains { $0.contains("second.person@example.com") })
            #expect(try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "program.exported").count() == 1)

            // Rows come a chunk at a time, each continuing after the last (here two at a time).
            let sql = app.db(.primary) as! any SQLDatabase
            let program = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "recreation").first())
            let page1 = try await ProgramExportController.rows(
                sql, programID: program.requireID(), statuses: [.applied], after: nil, limit: 1)
            let page2 = try await ProgramExportController.rows(
                sql, programID: program.requireID(), statuses: [.applied], after: page1[0].enrollment_id, limit: 1)
            let page3 = try await ProgramExportController.rows(
                sql, programID: program.requireID(), statuses: [.applied], after: page2[0].enrollment_id, limit: 1)
            #expect(Set([page1[0].email, page2[0].email]) == ["maria.lopez@example.com", "second.person@example.com"])
            #expect(page3.isEmpty)
        }
    }

    /// The bench data (`getyour synthetic --program`) and an export longer than one chunk:
    /// every row once, the counts per tab as the list shows them.
    @Test func anExportOfManyChunksHasEveryRowOnce() async throws {
        try await TestApp.run { app in
            try await runCommand(app, "synthetic", "--households", "2505", "--program", "recreation")
            let scene = try await ProgramScene.make(app)
            let coordinator = try await scene.coordinator()
            let list = try await coordinator.get("/staff/programs/recreation")
            #expect(list.text.contains("Applied <span class=\"count\">(1503)</span>"))
            #expect(list.text.contains("Enrolled <span class=\"count\">(501)</span>"))
            #expect(list.text.contains("Declined <span class=\"count\">(501)</span>"))
            let export = try await coordinator.get("/staff/programs/recreation/export.csv")
            let lines = export.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.dropFirst()
            #expect(lines.count == 2505)
            let references = Set(lines.map { $0.prefix { $0 != "," } })
            #expect(references.count == 2505)
        }
    }

    @Test(arguments: [("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("Ana", "Ana"), ("", "")])
    func cellsASpreadsheetWouldRunAreNeutralised(cell: String, expected: String) {
        #expect(ProgramExportController.neutralise(cell) == expected)
    }
}
