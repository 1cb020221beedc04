import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// A household names one person who helps it (P14, issue 15): the form, who gets the
/// household's messages, and what staff see (audited, without the contact's details).
@Suite("Named contact")
struct NamedContactTests {
    static let valid: [(String, String)] = [
        ("contact_name", "Rosa Helper"), ("contact_email", "Rosa.Helper@Example.net"), ("contact_phone", "(970) 555-0188"),
        ("contact_relationship", "daughter"), ("contact_receives", "copy"),
    ]

    func with(_ changes: [String: String]) -> [(String, String)] {
        Self.valid.map { ($0.0, changes[$0.0] ?? $0.1) }
    }

    @Test(arguments: [
        (["contact_name": ""], "contact_name", "Enter the name of the person who helps you"),
        (["contact_email": "rosa@", "contact_phone": ""], "contact_email", "Enter an email address in the right format"),
        (["contact_phone": "555"], "contact_phone", "Enter a 10-digit US phone number"),
        (["contact_email": "", "contact_phone": ""], "contact_email", "Enter their email address or phone number"),
        (["contact_relationship": " "], "contact_relationship", "Say how this person helps you"),
        (["contact_relationship": String(repeating: "x", count: 61)], "contact_relationship", "at most 60 characters"),
        (["contact_receives": "sometimes"], "contact_receives", "Choose whether they should get our messages"),
    ])
    func aMistakeIsShownOnTheSamePageWithEverythingTypedKept(changes: [String: String], field: String, message: String) async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            try await browser.get("/settings/contact")
            let response = try await browser.post("/settings/contact", with(changes))
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains(message))
            #expect(
                response.text.contains("href=\"#field-\(field.replacingOccurrences(of: "_", with: "-"))\""),
                "the error summary links to the field")
            #expect(response.text.contains("value=\"daughter\"") || field == "contact_relationship")
            #expect(response.text.contains("value=\"Rosa Helper\"") || field == "contact_name")
            #expect(try await HouseholdContact.query(on: app.db(.primary)).count() == 0)
        }
    }

    @Test func aContactIsSavedShownChangedAndRemoved() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            let empty = try await browser.get("/settings")
            #expect(empty.text.contains("Name a person who helps you"))
            try await browser.get("/settings/contact")
            let saved = try await browser.post("/settings/contact", Self.valid)
            #expect(saved.headers.first(name: .location) == "/settings?saved=contact")
            let contact = try #require(try await HouseholdContact.query(on: app.db(.primary)).first())
            #expect(contact.email == "rosa.helper@example.net" && contact.phone == "+19705550188" && contact.receives == .copy)
            let settings = try await browser.get("/settings?saved=contact").text
            #expect(settings.contains("Your named contact has been saved."))
            #expect(settings.contains("Rosa Helper (daughter)"))
            #expect(settings.contains("They get a copy of our messages"))
            let form = try await browser.get("/settings/contact").text
            #expect(form.contains("value=\"(970) 555-0188\""))

            try await browser.post("/settings/contact", with(["contact_receives": "instead", "contact_phone": ""]))
            let changed = try #require(try await HouseholdContact.query(on: app.db(.primary)).first())
            #expect(changed.receives == .instead && changed.phone.isEmpty)
            #expect(try await HouseholdContact.query(on: app.db(.primary)).count() == 1, "one contact per household")

            try await browser.get("/settings/contact")
            let removed = try await browser.post("/settings/contact", [("remove", "yes")])
            #expect(removed.headers.first(name: .location) == "/settings?saved=contact_removed")
            #expect(try await HouseholdContact.query(on: app.db(.primary)).count() == 0)
            let actions = try await AuditEvent.query(on: app.db(.primary)).all().map(\.action)
            #expect(actions.filter { $0 == "contact.changed" }.count == 2 && actions.contains("contact.removed"))
        }
    }

    @Test func staffAreNotOffered() async throws {
        try await TestApp.run { app in
            try await makeStaff(app, role: .verifier)
            let staff = Browser(app)
            try await staff.signInStaff()
            #expect(try await staff.get("/settings/contact").status == .notFound)
        }
    }

    /// Who gets the welcome email and text after submitting, for each choice.
    @Test(arguments: [("copy", true, true), ("instead", false, true), ("none", true, false)])
    func householdMessagesFollowTheChoice(receives: String, resident: Bool, helper: Bool) async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            try await browser.get("/settings/contact")
            try await browser.post("/settings/contact", with(["contact_receives": receives]))
            try await browser.get("/apply/review")
            try await browser.post("/apply/submit", [("declaration", "yes")])
            let welcomes = try await app.sentMail().filter { $0.contains("Kind: welcome") }
            #expect(welcomes.contains { $0.contains("To: maria.lopez@example.com") } == resident)
            #expect(welcomes.contains { $0.contains("To: rosa.helper@example.net") } == helper)
            let texts = try await app.sentTexts().filter { $0.contains("welcome") }
            #expect(texts.contains { $0.contains("+19705550188") } == helper)
        }
    }

    @Test func staffSeeTheContactAndEachReadIsAuditedWithoutItsDetails() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            try await browser.get("/settings/contact")
            try await browser.post("/settings/contact", Self.valid)
            try await browser.get("/apply/review")
            try await browser.post("/apply/submit", [("declaration", "yes")])
            let household = try #require(try await Household.query(on: app.db(.primary)).first())

            try await makeStaff(app, role: .verifier)
            let staff = Browser(app)
            try await staff.signInStaff()
            let page = try await staff.get("/staff/households/\(household.id!.uuidString)").text
            #expect(page.contains("Rosa Helper") && page.contains("daughter") && page.contains("rosa.helper@example.net"))
            #expect(page.contains("A copy of the household"))
            try await staff.get("/staff/households/\(household.id!.uuidString)")

            let reads = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "contact.viewed").all()
            #expect(reads.count == 2)
            #expect(reads.allSatisfy { $0.householdID == household.id && $0.actorRole == "verifier" })
            // Nothing in the audit trail names the contact.
            let sql = app.db(.primary) as! any SQLDatabase
            let rows = try await sql.raw("SELECT * FROM audit_events").all()
            for row in rows {
                for column in row.allColumns {
                    let value = (try? row.decode(column: column, as: String?.self)) ?? nil
                    #expect(!(value ?? "").lowercased().contains("rosa"), "audit column \(column) holds the contact's name")
                    #expect(!(value ?? "").contains("0188"), "audit column \(column) holds the contact's phone")
                }
            }
        }
    }

    @Test(arguments: [
        ("Rosa", "rosa@example.net", "", "sister", "none", true),
        ("", "rosa@example.net", "", "sister", "none", false),
        ("Rosa", "", "", "sister", "copy", false),
        ("Rosa", "", "970 555 0142", "sister", "instead", true),
        ("Rosa\nHelper", "rosa@example.net", "", "sister", "copy", false),
        ("Rosa", "rosa@example.net", "", "", "copy", false),
        ("Rosa", "rosa@example.net", "", "sister", "", false),
    ])
    func theRules(name: String, email: String, phone: String, relationship: String, receives: String, accepted: Bool) {
        var errors = FormErrors()
        let valid = NamedContactRules.check(
            .init(name: name, email: email, phone: phone, relationship: relationship, receives: receives), into: &errors)
        #expect((valid != nil) == accepted)
        #expect(errors.isEmpty == accepted)
    }
}
