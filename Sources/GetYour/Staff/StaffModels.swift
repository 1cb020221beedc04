import Fluent
import Foundation

/// One message between staff and a resident about an application (issue 9).
final class ApplicationMessage: Model, @unchecked Sendable {
    static let schema = "application_messages"

    enum Kind: String, Codable, Sendable {
        /// Staff asking for more information or documents.
        case requestInformation = "request_info"
        /// The resident's answer.
        case response
        /// Why the application was denied.
        case denial
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "application_id") var application: ApplicationRecord
    @Field(key: "author_role") var authorRole: String
    @OptionalField(key: "author_id") var authorID: UUID?
    @Field(key: "kind") var kind: Kind
    @Field(key: "body") var body: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(applicationID: UUID, authorRole: String, authorID: UUID?, kind: Kind, body: String, at time: Date) {
        self.$application.id = applicationID
        self.authorRole = authorRole
        self.authorID = authorID
        self.kind = kind
        self.body = body
        self.createdAt = time
    }
}

/// A note staff keep about a household; never shown to the resident.
final class StaffNote: Model, @unchecked Sendable {
    static let schema = "staff_notes"

    @ID(key: .id) var id: UUID?
    @Parent(key: "household_id") var household: Household
    @Field(key: "author_id") var authorID: UUID
    @Field(key: "body") var body: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(householdID: UUID, authorID: UUID, body: String, at time: Date) {
        self.$household.id = householdID
        self.authorID = authorID
        self.body = body
        self.createdAt = time
    }
}
