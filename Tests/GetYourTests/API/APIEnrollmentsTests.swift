import Eligibility
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// `GET /api/v1/programs/{slug}/enrollments` (P14, issue 15): program and column scoping, the
/// `changed` marker per caller, and cursor pages while households keep arriving.
@Suite("Partner API: the enrollment list")
struct APIEnrollmentsTests {
    func rows(_ json: [String: Any]) -> [[String: Any]] { json["enrollments"] as? [[String: Any]] ?? [] }

    @Test func aDepartmentSeesItsProgramWithItsColumnsOnly() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let scene = try await ProgramScene.make(app)
            let (_, maria) = try await scene.household("maria@example.com")
            try await scene.household("unverified@example.com", verified: false)
            try await scene.household("grocery@example.com", program: "connexion")
            let now = app.clock.now()
            let recreation = try await APITest.token(APITest.claims(now: now))
            let (response, json) = try await app.apiGet("/api/v1/programs/recreation/enrollments", token: recreation)
            #expect(response.status == .ok)
            let listed = rows(json)
            #expect(listed.count == 1, "verified households of this program only")
            let row = try #require(listed.first)
            #expect(row["household_id"] as? String == maria.uuidString && row["status"] as? String == "applied")
            let resident = row["resident"] as? [String: Any]
            #expect(resident?["email"] as? String == "maria@example.com")
            #expect((resident?["mailing_address"] as? [String: Any])?["street"] as? String == "300 Civic Center Dr")
            #expect(row["application_reference"] == nil || row["application_reference"] is NSNull, "admins only")
            #expect(!String(decoding: Data(response.body.readableBytesView), as: UTF8.self).contains("birthdate"))

            let (other, otherJSON) = try await app.apiGet("/api/v1/programs/connexion/enrollments", token: recreation)
            #expect(other.status == .forbidden && otherJSON["code"] as? String == "forbidden")
            let admin = try await APITest.token(APITest.claims(sub: "city-it", roles: ["admin"], now: now))
            let (_, adminJSON) = try await app.apiGet("/api/v1/programs/connexion/enrollments", token: admin)
            #expect((rows(adminJSON).first?["application_reference"] as? String)?.hasPrefix("GY-") == true)
            let (bad, badJSON) = try await app.apiGet("/api/v1/programs/recreation/enrollments?status=maybe", token: recreation)
            #expect(bad.status == .badRequest && badJSON["code"] as? String == "invalid_request")
        }
    }

    @Test func changedGoesFalseAfterAReadAndTrueAfterADecisionOrAnUpload() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let scene = try await ProgramScene.make(app)
            let (resident, maria) = try await scene.household("maria@example.com")
            let token = try await APITest.token(APITest.claims(now: app.clock.now()))
            func changed() async throws -> Bool? {
                let (_, json) = try await app.apiGet("/api/v1/programs/recreation/enrollments", token: token)
                return rows(json).first { $0["household_id"] as? String == maria.uuidString }?["changed"] as? Bool
            }
            #expect(try await changed() == true, "never read: changed")
            #expect(try await changed() == false, "read a moment ago")

            app.clock.travel(by: 60)
            let coordinator = try await scene.coordinator()
            try await coordinator.get("/staff/programs/recreation")
            try await coordinator.post("/staff/programs/recreation/decisions", [("households", maria.uuidString), ("decision", "enroll")])
            #expect(try await changed() == true, "a coordinator enrolled the household")
            #expect(try await changed() == false)

            // Another caller has its own marks.
            let other = try await APITest.token(APITest.claims(sub: "recreation-backup", now: app.clock.now()))
            let (_, json) = try await app.apiGet("/api/v1/programs/recreation/enrollments", token: other)
            #expect(rows(json).first?["changed"] as? Bool == true)

            app.clock.travel(by: 60)
            try await resident.signIn(email: "maria@example.com", password: "amber kettle meadow stone")
            try await resident.get("/settings/contact")
            try await resident.post(
                "/settings/contact",
                [
                    ("contact_name", "Rosa Helper"), ("contact_email", "rosa@example.net"), ("contact_phone", ""),
                    ("contact_relationship", "daughter"), ("contact_receives", "none"),
                ])
            #expect(try await changed() == true, "the household named a contact")
        }
    }

    @Test func changedGoesTrueWhenTheResidentRenewsAndUploadsWhatStaffAskedFor() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let scene = try await RenewalScene.make(app)
            let token = try await APITest.token(APITest.claims(now: app.clock.now()))
            func changed() async throws -> Bool? {
                let (_, json) = try await app.apiGet("/api/v1/programs/recreation/enrollments", token: token)
                return rows(json).first { $0["household_id"] as? String == scene.household.uuidString }?["changed"] as? Bool
            }
            #expect(try await changed() == true)
            #expect(try await changed() == false)

            app.clock.travel(by: 60)
            _ = try await scene.startRenewal(changed: [])
            try await scene.submitRenewal()
            #expect(try await changed() == true, "the resident submitted a renewal")
            #expect(try await changed() == false)

            app.clock.travel(by: 60)
            let renewal = try await scene.renewal()
            let item = try #require(
                try await DocumentChecklist.load(for: renewal, on: app.db(.primary)).items.map(\.key).first { $0.hasPrefix("member-") })
            try await makeStaff(app, role: .verifier, email: "asker@city.example")
            let staff = Browser(app)
            try await staff.signInStaff(email: "asker@city.example")
            try await staff.get("/staff/households/\(scene.household.uuidString.lowercased())")
            let asked = try await staff.decide(
                "/staff/applications/\(try renewal.requireID().uuidString.lowercased())/request-info",
                [("items", item), ("message", "Please send the back of the card.")])
            #expect(asked.status == .seeOther)
            // (Asking for information is not a decision: the department's record is unchanged.)
            #expect(try await changed() == false)

            app.clock.travel(by: 60)
            try await scene.resident.get("/apply/respond")
            let uploaded = try await scene.resident.upload(item: item, files: [("back.jpg", try Fixture.bytes("id-card.jpg"))])
            #expect(uploaded.status == .seeOther)
            #expect(try await changed() == true, "the resident uploaded what staff asked for")
        }
    }

    @Test func cursorPagesReturnEveryRowOnceWhileRowsAreAdded() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let scene = try await ProgramScene.make(app)
            var expected = Set<String>()
            for index in 0..<5 {
                let (_, id) = try await scene.household("resident\(index)@example.com")
                expected.insert(id.uuidString)
            }
            let token = try await APITest.token(APITest.claims(now: app.clock.now()))
            var seen: [String] = []
            var cursor: String? = nil
            var pages = 0
            repeat {
                let path = "/api/v1/programs/recreation/enrollments?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let (response, json) = try await app.apiGet(path, token: token)
                #expect(response.status == .ok)
                seen += rows(json).compactMap { $0["household_id"] as? String }
                cursor = json["next_cursor"] as? String
                pages += 1
                // A household arrives while the partner is paging.
                if pages == 1 { try await scene.household("late@example.com") }
            } while cursor != nil && pages < 10
            #expect(Set(seen).count == seen.count, "no row twice")
            #expect(expected.isSubset(of: Set(seen)), "every row that was there from the start")
        }
    }
}
