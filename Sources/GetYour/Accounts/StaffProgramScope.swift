import Fluent
import Foundation

/// A benefit program a coordinator is responsible for (P1).
final class StaffProgramScope: Model, @unchecked Sendable {
    static let schema = "staff_program_scopes"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "program_slug") var programSlug: String

    init() {}

    init(userID: UUID, programSlug: String) {
        self.$user.id = userID
        self.programSlug = programSlug
    }
}
