import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// Every validation failure on every step: 422, a message, and what was typed kept.
@Suite("Step validation (P3)")
struct StepValidationTests {
    static let goodAddress: [(String, String)] = [
        ("street", "300 Civic Center Dr"), ("unit", ""), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521"),
        ("mailing_same", "yes"),
    ]

    func started(_ app: Application) async throws -> Browser {
        let browser = Browser(app)
        try await browser.signUp()
        try await browser.get("/apply/address")
        return browser
    }

    @Test(arguments: [
        ("street", "", "Enter the street address"),
        ("city", "", "Enter the city"),
        ("state", "Colorado", "Enter the state as two letters"),
        ("zip", "", "Enter the ZIP code"),
        ("zip", "8052", "Enter a 5-digit ZIP code"),
        ("mailing_same", "", "Answer whether your mailing address is the same"),
    ])
    func addressFieldsAreChecked(field: String, value: String, message: String) async throws {
        try await TestApp.run { app in
            let browser = try await started(app)
            var form = Self.goodAddress.filter { $0.0 != field }
            form.append((field, value))
            let response = try await browser.post("/apply/address", form)
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains(message))
            if field != "street" { #expect(response.text.contains("value=\"300 Civic Center Dr\"")) }
            if field == "zip" && !value.isEmpty { #expect(response.text.contains("value=\"8052\"")) }
        }
    }

    @Test func aDifferentMailingAddressNeedsItsOwnFields() async throws {
        try await TestApp.run { app in
            let browser = try await started(app)
            var form = Self.goodAddress.filter { $0.0 != "mailing_same" }
            form += [
                ("mailing_same", "no"), ("mailing_street", "PO Box 12"), ("mailing_city", ""), ("mailing_state", "CO"),
                ("mailing_zip", "80522"),
            ]
            let response = try await browser.post("/apply/address", form)
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("href=\"#field-mailing-city\""))
            #expect(response.text.contains("value=\"PO Box 12\""))
        }
    }

    @Test func anUnknownAddressIsNotFoundAndKept() async throws {
        try await TestApp.run { app in
            let browser = try await started(app)
            let response = try await browser.post(
                "/apply/address",
                [("street", "1 Nowhere Lane"), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521"), ("mailing_same", "yes")])
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("We could not find this address"))
            #expect(response.text.contains("value=\"1 Nowhere Lane\""))
        }
    }

    @Test func aCorrectionIsOfferedAndEitherChoiceIsSaved() async throws {
        try await TestApp.run { app in
            let browser = try await started(app)
            let typed = [
                ("street", "300 civic center drive"), ("city", "fort collins"), ("state", "co"), ("zip", "80521"), ("mailing_same", "yes"),
            ]
            let response = try await browser.post("/apply/address", typed)
            #expect(response.headers.first(name: .location) == "/apply/address/confirm")
            let confirm = try await browser.follow(response)
            #expect(confirm.text.contains("300 Civic Center Dr"))
            #expect(confirm.text.contains("300 civic center drive"))
            let bad = try await browser.post("/apply/address/confirm", [("choice", "maybe")])
            #expect(bad.status == .unprocessableEntity)
            let kept = try await browser.post("/apply/address/confirm", [("choice", "as_entered")])
            #expect(kept.headers.first(name: .location) == "/apply/household")
            let address = try #require(try await Address.query(on: app.db(.primary)).first())
            #expect(address.street == "300 civic center drive" && address.verified == false)
            // Choosing the suggestion stores the standardised, verified address.
            try await browser.get("/apply/address")
            try await browser.post("/apply/address", typed)
            try await browser.get("/apply/address/confirm")
            try await browser.post("/apply/address/confirm", [("choice", "suggested")])
            let application = try #require(try await ApplicationRecord.query(on: app.db(.primary)).with(\.$eligibilityAddress).first())
            #expect(application.eligibilityAddress?.street == "300 Civic Center Dr")
            #expect(application.eligibilityAddress?.verified == true)
            #expect(application.eligibilityAddress?.coverage == ["city_covered", "in_service_area"])
        }
    }

    @Test func theVerifierBeingDownGivesATryAgainPageAndKeepsTheAddress() async throws {
        struct Down: AddressVerifier {
            func verify(_ input: AddressInput) async throws -> AddressVerification { throw URLError(.timedOut) }
        }
        try await TestApp.run { app in
            app.addressVerifier = Down()
            let browser = try await started(app)
            let response = try await browser.post("/apply/address", Self.goodAddress)
            #expect(response.status == .serviceUnavailable)
            #expect(response.text.contains("try again in a few minutes"))
            #expect(response.text.contains("value=\"300 Civic Center Dr\""))
            #expect(try await ApplicationRecord.query(on: app.db(.primary)).count() == 0)
        }
    }

    @Test(arguments: [
        ([("duration", "1_to_3")], "Choose whether you rent or own"),
        ([("rent_own", "rent")], "Choose how long you have lived at this address"),
        ([("rent_own", "lease"), ("duration", "1_to_3")], "Choose whether you rent or own"),
    ])
    func householdAnswersAreChecked(form: [(String, String)], message: String) async throws {
        try await TestApp.run { app in
            let browser = try await started(app)
            try await browser.post("/apply/address", Self.goodAddress)
            try await browser.get("/apply/household")
            let response = try await browser.post("/apply/household", form)
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains(message))
            if form.contains(where: { $0 == ("duration", "1_to_3") }) {
                #expect(response.text.contains("value=\"1_to_3\" id=\"field-duration-1_to_3\" checked"))
            }
        }
    }

    @Test(arguments: [
        ("first_name", "", "s first name"),
        ("last_name", "", "s last name"),
        ("birthdate", "", "Enter the date of birth"),
        ("birthdate", "2023-02-30", "Enter a real date"),
        ("birthdate", "2099-01-01", "cannot be in the future"),
        ("birthdate", "1850-06-01", "must be after 1900"),
    ])
    func membersAreChecked(field: String, value: String, message: String) async throws {
        try await TestApp.run { app in
            let browser = try await started(app)
            try await browser.post("/apply/address", Self.goodAddress)
            try await browser.post("/apply/household", [("rent_own", "rent"), ("duration", "1_to_3")])
            try await browser.get("/apply/members/new")
            var form = [("first_name", "Leo"), ("last_name", "Lopez"), ("birthdate", "2015-09-02")].filter { $0.0 != field }
            form.append((field, value))
            let response = try await browser.post("/apply/members/new", form)
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains(message))
            if field != "last_name" { #expect(response.text.contains("value=\"Lopez\"")) }
            #expect(try await HouseholdMember.query(on: app.db(.primary)).count() == 1)
        }
    }

    @Test func continuingNeedsEveryMembersBirthdate() async throws {
        try await TestApp.run { app in
            let browser = try await started(app)
            try await browser.post("/apply/address", Self.goodAddress)
            try await browser.post("/apply/household", [("rent_own", "rent"), ("duration", "1_to_3")])
            try await browser.get("/apply/members")
            let response = try await browser.post("/apply/members")
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("Add the date of birth for Maria Lopez"))
        }
    }

    @Test(arguments: [
        ([(String, String)](), "Choose at least one program, or None of these"),
        ([("programs", "snap"), ("none", "yes")], "not both"),
        ([("programs", "lottery")], "Choose programs from the list"),
    ])
    func programChoicesAreChecked(form: [(String, String)], message: String) async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            try await browser.get("/apply/programs")
            let response = try await browser.post("/apply/programs", form)
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains(message))
            if form.first?.1 == "snap" { #expect(response.text.contains("value=\"snap\" id=\"field-programs\" checked")) }
        }
    }

    @Test func changingProgramsKeepsUploadsStillNeededAndReportsTheOthers() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview(programs: ["snap", "medicaid"])
            #expect(try await Document.query(on: app.db(.primary)).count() == 4)
            try await browser.get("/apply/programs")
            // The form is prefilled with what was chosen.
            #expect(browser.lastPage.contains("value=\"medicaid\" id=\"field-programs-medicaid\" checked"))
            try await browser.post("/apply/programs", [("programs", "snap")])
            #expect(try await Document.query(on: app.db(.primary)).count() == 4)
            let page = try await browser.get("/apply/documents")
            #expect(page.text.contains("You no longer selected: Medicaid"))
            #expect(page.text.contains("Files no longer needed"))
            #expect(try await browser.get("/apply/review").text.contains("Proof of SNAP (food assistance, EBT): 1 file(s)"))
        }
    }
}
