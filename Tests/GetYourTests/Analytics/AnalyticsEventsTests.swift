import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Analytics report rules (P9)")
struct AnalyticsReportRuleTests {
    @Test(
        arguments: [
            ([:], nil),
            ([3: 1], 3.0),
            ([1: 1, 5: 1], 3.0),
            ([1: 2, 5: 1], 1.0),
            ([0: 1, 2: 1, 9: 2], 5.5),
            ([4: 10, 40: 9], 4.0),
        ] as [([Int: Int], Double?)])
    func theMedianOfAHistogram(histogram: [Int: Int], median: Double?) {
        #expect(AnalyticsReport.median(histogram) == median)
    }

    @Test func theFunnelShowsShareOfStartersAndDropOffBetweenSteps() {
        let funnel = AnalyticsReport.funnel(["address": 8, "household": 6, "members": 6, "programs": 3, "submitted": 0])
        #expect(funnel.map(\.stage) == AnalyticsReport.stages)
        #expect(funnel.map(\.households) == [8, 6, 6, 3, 0, 0, 0, 0])
        #expect(funnel.map(\.ofStarted) == [100, 75, 75, 38, 0, 0, 0, 0])
        #expect(funnel.map(\.dropOff) == [nil, 25, 0, 50, 100, 0, 0, 0])
    }

    @Test func pseudonymsAreStablePerHouseholdAndDependOnTheSecret() {
        let household = UUID()
        let a = AnalyticsPseudonym(secret: "first secret that is long enough to use")
        let b = AnalyticsPseudonym(secret: "second secret that is long enough to use")
        #expect(a.of(household) == a.of(household))
        #expect(a.of(household) != a.of(UUID()))
        #expect(a.of(household) != b.of(household))
        #expect(a.of(household).count == 64 && !a.of(household).contains(household.uuidString.lowercased().prefix(8)))
    }

    @Test func weeksStartOnMondayInTheCitysTimeZone() throws {
        let calendar = AnalyticsCalendar(timeZone: TimeZone(identifier: "America/Denver")!)
        // Sunday 2026-11-29 23:30 in Denver is already Monday in UTC.
        let sundayNight = try #require(ISO8601DateFormatter().date(from: "2026-11-30T06:30:00Z"))
        #expect(calendar.day(sundayNight) == "2026-11-29")
        #expect(calendar.week(sundayNight) == "2026-11-23")
        #expect(calendar.week(sundayNight.addingTimeInterval(3600)) == "2026-11-30")
        #expect(calendar.days(from: sundayNight, to: sundayNight.addingTimeInterval(3600)) == 1)
    }

    @Test(arguments: [(0, 4), (3, 4), (5, 8), (17, 20), (21, 40), (399, 400), (401, 800)])
    func chartScalesEndOnWholeGridLines(highest: Int, top: Int) {
        #expect(AnalyticsController.niceCeiling(highest) == top)
    }
}

@Suite("Analytics events and /staff/analytics (P9, issue 11)")
struct AnalyticsEventsTests {
    static let marker = "Zqxmarker"

    /// Every value in every column of every analytics table, as text.
    func analyticsText(_ app: Application) async throws -> String {
        let sql = app.db(.analytics) as! any SQLDatabase
        var text = ""
        for table in ["events", "daily_counts", "funnel_progress", "funnel_counts", "verification_days", "request_logs"] {
            guard let first = try await sql.raw("SELECT * FROM \(unsafeRaw: table)").first() else { continue }
            for column in first.allColumns {
                for row in try await sql.raw("SELECT CAST(\(ident: column) AS TEXT) AS v FROM \(unsafeRaw: table)").all() {
                    text += " " + ((try row.decode(column: "v", as: String?.self)) ?? "")
                }
            }
        }
        return text
    }

    func events(_ app: Application, _ kind: String) async throws -> [any SQLRow] {
        try await (app.db(.analytics) as! any SQLDatabase).raw("SELECT * FROM events WHERE kind = \(bind: kind)").all()
    }

    @Test func aScriptedSetOfApplicationsGivesTheFunnelAndNoPersonalData() async throws {
        try await TestApp.run { app in
            let scene = try await ProgramScene.make(app)
            let marker = Self.marker
            // A and B: submitted, verified, applied to recreation; A enrolled, B declined.
            let (_, a) = try await scene.household("a.\(marker.lowercased())@example.com")
            let (_, b) = try await scene.household("b.\(marker.lowercased())@example.com")
            // C: submitted; one file rejected, then more information requested.
            let c = Browser(app)
            try await c.submitApplication(email: "c.\(marker.lowercased())@example.com")
            let cUser = try #require(try await User.find(email: "c.\(marker.lowercased())@example.com", on: app.db(.primary)))
            let cHousehold = try #require(try await Household.query(on: app.db(.primary)).filter(\.$user.$id == cUser.requireID()).first())
            let cApplication = try #require(
                try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$household.$id == cHousehold.requireID()).first())
            let document = try #require(
                try await Document.query(on: app.db(.primary)).filter(\.$application.$id == cApplication.requireID()).first())
            try await scene.verifier.get("/staff/households/\(try cHousehold.requireID().uuidString.lowercased())")
            let rejected = try await scene.verifier.decide(
                "/staff/documents/\(try document.requireID().uuidString)/review",
                [("decision", "reject"), ("reason", "unreadable"), ("reason_detail", "\(marker) blurry")])
            #expect(rejected.status == .seeOther)
            try await scene.verifier.get("/staff/households/\(try cHousehold.requireID().uuidString.lowercased())")
            let asked = try await scene.verifier.decide(
                "/staff/applications/\(try cApplication.requireID().uuidString.lowercased())/request-info",
                [("items", "other"), ("message", "\(marker) please send the lease")])
            #expect(asked.status == .seeOther)
            // D: saved the address twice, then stopped. E: stopped at the members step (the
            // applicant's birthdate is missing, so "Continue" is refused).
            let d = Browser(app)
            try await d.signUp(email: "d.\(marker.lowercased())@example.com")
            for _ in 0..<2 {
                try await d.get("/apply/address")
                try await d.post(
                    "/apply/address",
                    [
                        ("street", "300 Civic Center Dr"), ("unit", ""), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521"),
                        ("mailing_same", "yes"),
                    ])
            }
            let e = Browser(app)
            try await e.signUp(email: "e.\(marker.lowercased())@example.com")
            try await e.get("/apply/address")
            try await e.post(
                "/apply/address",
                [
                    ("street", "300 Civic Center Dr"), ("unit", ""), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521"),
                    ("mailing_same", "yes"),
                ])
            try await e.get("/apply/household")
            try await e.post("/apply/household", [("rent_own", "rent"), ("duration", "1_to_3")])
            try await e.get("/apply/members")
            #expect(try await e.post("/apply/members").status == .unprocessableEntity)

            let coordinator = try await scene.coordinator()
            try await coordinator.get("/staff/programs/recreation")
            #expect(
                try await coordinator.post(
                    "/staff/programs/recreation/decisions", [("households", a.uuidString), ("decision", "enroll")]
                ).status == .seeOther)
            try await coordinator.get("/staff/programs/recreation")
            #expect(
                try await coordinator.post(
                    "/staff/programs/recreation/decisions",
                    [("households", b.uuidString), ("decision", "decline"), ("reason", "\(marker) income too high")]
                ).status == .seeOther)

            await app.analytics.flush()
            #expect(try await events(app, "submitted").count == 3)
            #expect(try await events(app, "verified").count == 2)
            let rejections = try await events(app, "document_rejected")
            #expect(rejections.count == 1)
            let reason = try rejections.first?.decode(column: "detail", as: String.self)
            #expect(reason == "unreadable")
            #expect(try await events(app, "information_requested").count == 1)
            #expect(try await events(app, "enrolled").count == 1)
            #expect(try await events(app, "declined").count == 1)
            let enrolled = try await events(app, "enrolled")[0]
            #expect(try enrolled.decode(column: "detail", as: String.self) == "recreation")

            // No personal data: no marker (names, emails, free text), no ids from the primary database.
            let stored = try await analyticsText(app).lowercased()
            #expect(stored.contains("step_completed") && stored.contains("unreadable"))
            #expect(!stored.contains(marker.lowercased()))
            #expect(!stored.contains("lopez") && !stored.contains("civic center"))
            #expect(!stored.contains("@"))
            let users = try await User.query(on: app.db(.primary)).all()
            let households = try await Household.query(on: app.db(.primary)).all()
            for id in users.compactMap(\.id) + households.compactMap(\.id) {
                #expect(!stored.contains(id.uuidString.lowercased()))
            }

            // The page: D's two saves of the address count once.
            let admin = try await signedInAdmin(app)
            let page = try await admin.get("/staff/analytics")
            #expect(page.status == .ok)
            let expected = [
                ("Home address", 5, "100 %", "—"), ("Household", 4, "80 %", "20 %"), ("Members", 3, "60 %", "25 %"),
                ("Programs", 3, "60 %", "0 %"), ("Documents", 3, "60 %", "0 %"), ("Submitted", 3, "60 %", "0 %"),
                ("Verified", 2, "40 %", "33 %"), ("Enrolled in a program", 1, "20 %", "50 %"),
            ]
            for (stage, households, share, drop) in expected {
                let row = "<tr><th scope=\"row\">\(stage)</th><td>\(households)</td><td>\(share)</td><td>\(drop)</td></tr>"
                #expect(page.text.contains(row), "funnel row \(row)")
            }
            // This week: 3 submitted, 2 verified, 1 enrolled, verified the same day.
            #expect(page.text.contains("<td>3</td><td>2</td><td>1</td><td>0</td></tr>"))
            #expect(page.text.contains("<svg viewBox=\"0 0 720"))
            #expect(page.text.contains("role=\"img\""))
        }
    }

    @Test func medianDaysCountFromSubmissionToVerification() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            app.clock.travel(by: 3 * 86_400 + 60)
            try await makeStaff(app, role: .verifier, email: "later@city.example")
            let verifier = Browser(app)
            try await verifier.signInStaff(email: "later@city.example")
            try await verifier.get(scene.householdURL)
            #expect(try await verifier.decide("\(scene.applicationPath)/verify").status == .seeOther)
            await app.analytics.flush()
            let admin = try await signedInAdmin(app)
            let page = try await admin.get("/staff/analytics").text
            #expect(page.contains("<dd>3 days</dd>"))
        }
    }

    @Test func aRefusedDecisionRecordsNoEvent() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            try await scene.staff.get(scene.householdURL)
            let stale = try await scene.staff.post("\(scene.applicationPath)/verify", [("revision", "999")])
            #expect(stale.status == .conflict)
            await app.analytics.flush()
            #expect(try await events(app, "verified").isEmpty)
            #expect(try await events(app, "submitted").count == 1)
        }
    }

    @Test func onlyAdminsSeeAnalyticsAndAnOutageIsAClearPage() async throws {
        try await TestApp.run { app in
            try await makeStaff(app, role: .verifier, email: "verifier@city.example")
            let verifier = Browser(app)
            try await verifier.signInStaff(email: "verifier@city.example")
            #expect(try await verifier.get("/staff/analytics").status == .forbidden)
            let admin = try await signedInAdmin(app)
            let empty = try await admin.get("/staff/analytics")
            #expect(empty.status == .ok && empty.text.contains("No verifications yet"))
            // Dropped as the owner: the app's own role may not change the schema.
            try await (app.db(app.migrationDatabase(for: .analytics)) as! any SQLDatabase).raw("DROP TABLE funnel_counts").run()
            let down = try await admin.get("/staff/analytics")
            #expect(down.status == .serviceUnavailable)
            #expect(down.text.contains("The analytics database cannot be read right now"))
            // The rest of the staff side is unaffected.
            #expect(try await admin.get("/staff").status == .ok)
        }
    }
}
