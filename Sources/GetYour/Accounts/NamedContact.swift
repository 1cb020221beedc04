import Fluent
import Foundation
import Vapor

/// The one person a household names to help it (P14): a relative, a friend, a caseworker.
/// Household news (not account messages such as password links) goes to them as a copy, to
/// them instead of the resident, or not at all (`Outbox`). Staff see it on the household
/// page; every staff or API read is audited, without the contact's details.
final class HouseholdContact: Model, @unchecked Sendable {
    static let schema = "household_contacts"

    enum Receives: String, Codable, Sendable, CaseIterable {
        /// The resident and the contact both get household news.
        case copy
        /// Only the contact does.
        case instead
        /// The contact is named for staff only.
        case none
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "household_id") var household: Household
    @Field(key: "name") var name: String
    /// Empty when not given (a phone is then given).
    @Field(key: "email") var email: String
    /// E.164 (`+19705550100`), or empty.
    @Field(key: "phone") var phone: String
    @Field(key: "relationship") var relationship: String
    @Field(key: "receives") var receives: Receives
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    static func of(household: UUID, on db: any Database) async throws -> HouseholdContact? {
        try await HouseholdContact.query(on: db).filter(\.$household.$id == household).first()
    }
}

/// The named-contact form's rules, table-tested (`NamedContactTests`).
enum NamedContactRules {
    struct Input: Equatable {
        var name = ""
        var email = ""
        var phone = ""
        var relationship = ""
        var receives = ""
    }

    struct Valid: Equatable {
        let name: String
        let email: String
        let phone: String
        let relationship: String
        let receives: HouseholdContact.Receives
    }

    static let maxName = 100
    static let maxRelationship = 60

    /// The cleaned values, or the errors by field (message keys).
    static func check(_ input: Input, into errors: inout FormErrors) -> Valid? {
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        let email = input.email.trimmingCharacters(in: .whitespaces).lowercased()
        let phoneText = input.phone.trimmingCharacters(in: .whitespaces)
        let relationship = input.relationship.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty {
            errors.add("contact_name", "named_contact.error.name")
        } else if name.count > maxName || name.contains(where: { $0.isNewline }) {
            errors.add("contact_name", "named_contact.error.name_long", ["\(maxName)"])
        }
        if !email.isEmpty, !ContactRules.isEmail(email) { errors.add("contact_email", "named_contact.error.email") }
        let phone = phoneText.isEmpty ? "" : ContactRules.usPhone(phoneText)
        if phone == nil { errors.add("contact_phone", "named_contact.error.phone") }
        if email.isEmpty, phoneText.isEmpty { errors.add("contact_email", "named_contact.error.reach") }
        if relationship.isEmpty {
            errors.add("contact_relationship", "named_contact.error.relationship")
        } else if relationship.count > maxRelationship || relationship.contains(where: { $0.isNewline }) {
            errors.add("contact_relationship", "named_contact.error.relationship_long", ["\(maxRelationship)"])
        }
        let receives = HouseholdContact.Receives(rawValue: input.receives)
        if receives == nil { errors.add("contact_receives", "named_contact.error.receives") }
        guard errors.isEmpty, let receives, let phone else { return nil }
        return Valid(name: name, email: email, phone: phone, relationship: relationship, receives: receives)
    }
}
