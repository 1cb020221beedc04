import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Admin records: the feedback inbox and the audit log (P7, P13 continued, issue 11)")
struct AdminRecordsTests {
    @Test func theFeedbackInboxListsNewestFirstFiltersByRatingAndIsForAdminsOnly() async throws {
        try await TestApp.run { app in
            for (rating, comment) in [(5, "Clear and quick"), (2, "The upload <b>failed</b> twice"), (5, "Muy fácil")] {
                let entry = Feedback()
                entry.rating = rating
                entry.comment = comment
                try await entry.create(on: app.db(.primary))
            }
            try await makeStaff(app, role: .admin, email: "admin@city.example")
            let admin = Browser(app)
            try await admin.signInStaff(email: "admin@city.example")
            let all = try await admin.get("/staff/feedback")
            #expect(all.status == .ok)
            #expect(all.text.contains("Feedback from residents"))
            let muy = try #require(all.text.range(of: "Muy fácil")), clear = try #require(all.text.range(of: "Clear and quick"))
            #expect(muy.lowerBound < clear.lowerBound)  // newest first
            #expect(all.text.contains("The upload &lt;b&gt;failed&lt;/b&gt; twice"))
            let low = try await admin.get("/staff/feedback?rating=2")
            #expect(low.text.contains("The upload") && !low.text.contains("Muy fácil"))

            try await makeStaff(app, role: .verifier, email: "verifier@city.example")
            let verifier = Browser(app)
            try await verifier.signInStaff(email: "verifier@city.example")
            #expect(try await verifier.get("/staff/feedback").status == .forbidden)
            #expect(try await verifier.get("/staff/audit").status == .forbidden)
        }
    }

    @Test func theAuditLogFiltersByWhoWhatHouseholdAndDayAndExplainsBadFilters() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            try await scene.staff.get(scene.householdURL)  // household.viewed
            try await makeStaff(app, role: .admin, email: "admin@city.example")
            let admin = Browser(app)
            try await admin.signInStaff(email: "admin@city.example")
            let householdID = scene.application.$household.id.uuidString.lowercased()

            let all = try await admin.get("/staff/audit")
            #expect(all.status == .ok)
            #expect(all.text.contains("<td>Opened the household</td>"))
            #expect(all.text.contains("href=\"/staff/households/\(householdID)\""))
            // Only what the table holds: no resident's name or email.
            #expect(!all.text.contains("maria.lopez@example.com") && !all.text.contains("Maria Lopez"))

            let viewed = try await admin.get("/staff/audit?action=household.viewed&household=\(householdID)")
            #expect(viewed.text.contains("<td>Opened the household</td>"))
            #expect(!viewed.text.contains("<td>Turned on two-step sign-in</td>"))
            let staffUser = try #require(try await User.find(email: "staff@example.org", on: app.db(.primary)))
            let byActor = try await admin.get("/staff/audit?actor=\(try staffUser.requireID().uuidString.lowercased())")
            #expect(byActor.text.contains("<td>Opened the household</td>"))
            let nobody = try await admin.get("/staff/audit?actor=00000000-0000-0000-0000-000000000000")
            #expect(nobody.text.contains("Nothing matches"))
            let future = try await admin.get("/staff/audit?from=2099-01-01")
            #expect(future.text.contains("Nothing matches"))

            let bad = try await admin.get("/staff/audit?household=not-an-id&from=2026-02-30&to=2026-01-01&action=made.up")
            #expect(bad.status == .unprocessableEntity)
            for message in ["Enter a household id", "Enter a day like 2026-12-31", "Choose an action from the list"] {
                #expect(bad.text.contains(message), "missing \(message)")
            }
            #expect(bad.text.contains("value=\"not-an-id\""))  // what was typed stays
            let backwards = try await admin.get("/staff/audit?from=2026-03-02&to=2026-03-01")
            #expect(backwards.text.contains("The end day must not be before the start day"))
        }
    }
}
