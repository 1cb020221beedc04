import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Changing the mailing address in settings (P3 step 12, issue 14)")
struct MailingAddressTests {
    func application(_ app: Application) async throws -> ApplicationRecord {
        try #require(try await ApplicationRecord.query(on: app.db(.primary)).with(\.$mailingAddress).with(\.$eligibilityAddress).first())
    }

    func mailing(_ street: String, zip: String, choice: String? = nil) -> [(String, String)] {
        var fields = [
            ("mailing_same", "no"), ("mailing_street", street), ("mailing_unit", ""), ("mailing_city", "Fort Collins"),
            ("mailing_state", "CO"), ("mailing_zip", zip),
        ]
        if let choice { fields.append(("mailing_choice", choice)) }
        return fields
    }

    @Test func aVerifiedMailingAddressIsSavedAndTheHomeAddressNeverChanges() async throws {
        try await TestApp.run { app in
            let resident = Browser(app)
            try await resident.submitApplication()
            let before = try await application(app)
            let settings = try await resident.get("/settings")
            #expect(settings.text.contains("Letters go to your home address"))
            #expect(settings.text.contains("300 Civic Center Dr"))

            // Checked like the home address: each field explained, what was typed kept.
            let empty = try await resident.post("/settings/mailing", [("mailing_same", "no"), ("mailing_city", "Loveland")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.text.contains("Enter the street address") && empty.text.contains(#"value="Loveland""#))
            // Not found: explained, then kept as typed only when the resident says so.
            let unknown = try await resident.post("/settings/mailing", mailing("77 Nowhere Rd", zip: "80521"))
            #expect(unknown.status == .unprocessableEntity)
            #expect(unknown.text.contains("We could not find this address") && unknown.text.contains(#"value="77 Nowhere Rd""#))
            let kept = try await resident.post("/settings/mailing", mailing("77 Nowhere Rd", zip: "80521", choice: "as_entered"))
            #expect(kept.headers.first(name: .location) == "/settings?saved=mailing")
            var now = try await application(app)
            #expect(now.mailingAddress?.street == "77 Nowhere Rd" && now.mailingAddress?.verified == false)

            // A correction is offered (the ZIP was wrong) and used once accepted.
            let corrected = try await resident.post("/settings/mailing", mailing("4827 Cottonwood Ave", zip: "80599"))
            #expect(corrected.status == .unprocessableEntity)
            #expect(corrected.text.contains("We found") && corrected.text.contains("80524"))
            let accepted = try await resident.post("/settings/mailing", mailing("4827 Cottonwood Ave", zip: "80599", choice: "suggested"))
            #expect(accepted.status == .seeOther)
            now = try await application(app)
            #expect(now.mailingAddress?.zip == "80524" && now.mailingAddress?.verified == true)
            #expect(now.$eligibilityAddress.id == before.$eligibilityAddress.id, "the home address changes only through a renewal")
            #expect(now.revision > before.revision, "staff see that something changed")
            let page = try await resident.get("/settings?saved=mailing")
            #expect(page.text.contains("Your mailing address has been saved") && page.text.contains("4827 Cottonwood Ave"))

            // Back to the home address.
            #expect(try await resident.post("/settings/mailing", [("mailing_same", "yes")]).status == .seeOther)
            now = try await application(app)
            #expect(now.$mailingAddress.id == now.$eligibilityAddress.id)
        }
    }

    @Test func withoutAnApplicationThereIsNoMailingAddressToChange() async throws {
        try await TestApp.run { app in
            let resident = Browser(app)
            try await resident.signUp()
            #expect(!(try await resident.get("/settings").text.contains("mailing-heading")))
            #expect(try await resident.post("/settings/mailing", [("mailing_same", "yes")]).status == .notFound)
        }
    }
}
