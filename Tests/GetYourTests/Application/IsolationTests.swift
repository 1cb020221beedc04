import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Residents cannot reach each other's application (P10)")
struct IsolationTests {
    @Test func guessingIdsGets404AndChangesNothing() async throws {
        try await TestApp.run { app in
            let maria = Browser(app)
            try await maria.applyUpToReview(email: "maria.lopez@example.com")
            let marias = try await ApplicationRecord.query(on: app.db(.primary)).first()!
            let document = try #require(try await Document.query(on: app.db(.primary)).first())
            let member = try #require(try await HouseholdMember.query(on: app.db(.primary)).filter(\.$isApplicant == false).first())

            let sam = Browser(app)
            try await sam.signUp(email: "sam.reyes@example.com")
            try await sam.get("/apply/address")
            try await sam.post(
                "/apply/address",
                [("street", "4821 Aspen Ridge Dr"), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80528"), ("mailing_same", "yes")])
            try await sam.post("/apply/household", [("rent_own", "own"), ("duration", "over_3")])
            try await sam.get("/apply/members")

            let probe = try await sam.get("/documents/\(document.id!.uuidString)")
            #expect(probe.status == .notFound)
            #expect(try await sam.get("/apply/members/\(member.id!.uuidString)").status == .notFound)
            #expect(
                try await sam.post(
                    "/apply/members/\(member.id!.uuidString)", [("first_name", "X"), ("last_name", "Y"), ("birthdate", "2000-01-01")]
                ).status == .notFound)
            #expect(try await sam.post("/apply/members/\(member.id!.uuidString)/delete").status == .notFound)
            #expect(try await sam.post("/apply/documents/file/\(document.id!.uuidString)/delete").status == .notFound)

            #expect(try await HouseholdMember.find(member.id, on: app.db(.primary))?.firstName == "Leo")
            #expect(try await Document.find(document.id, on: app.db(.primary)) != nil)
            // Sam's own review shows only Sam's household.
            #expect(!(try await sam.get("/apply/members").text.contains("Leo")))
            #expect(try await ApplicationRecord.find(marias.id, on: app.db(.primary))?.status == .draft)
            // Signed out, a document is not served at all.
            #expect(try await Browser(app).get("/documents/\(document.id!.uuidString)").status == .seeOther)
        }
    }

    @Test func onlyOneDraftPerHouseholdIsAllowedByTheDatabase() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            try await browser.get("/apply/address")
            try await browser.post("/apply/address", StepValidationTests.goodAddress)
            let existing = try #require(try await ApplicationRecord.query(on: app.db(.primary)).first())
            let second = ApplicationRecord()
            second.$household.id = existing.$household.id
            second.kind = .initial
            second.status = .draft
            second.furthestStep = .address
            second.noPrograms = false
            second.programsAnswered = false
            await #expect(throws: (any Error).self) { try await second.create(on: app.db(.primary)) }
        }
    }
}
