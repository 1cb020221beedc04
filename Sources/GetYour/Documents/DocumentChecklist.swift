import Eligibility
import Fluent
import Foundation

/// The documents an application needs (P6): one ID per household member and one proof per
/// selected eligibility program, with what has been uploaded for each.
struct DocumentChecklist {
    struct Item {
        /// `member-<uuid>` or `program-<slug>`, as in `/apply/documents/{item}`.
        let key: String
        let purpose: Document.Purpose
        let member: HouseholdMember?
        let program: EligibilityProgram?
        var documents: [Document]
        /// In a renewal: files staff accepted on the renewed application for the same person
        /// or program. They still count (linked, never copied); the resident may add newer ones.
        var carried: [Document] = []

        var isDone: Bool { !documents.isEmpty || !carried.isEmpty }
        /// Whether staff have a file to verify the item with: one not rejected, or one carried.
        var hasUsableFile: Bool { documents.contains { $0.reviewState != .rejected } || !carried.isEmpty }

        /// "ID for Maria Lopez", "Proof of SNAP", or "Something else staff asked for".
        func title(_ messages: Messages, _ language: Language) -> String {
            if let member { return messages.text("documents.id_for", language, [member.fullName]) }
            if let program { return messages.text("documents.proof_for", language, [program.name(language)]) }
            return messages.text("documents.other", language)
        }
    }

    let items: [Item]
    /// Uploads for programs no longer selected or members no longer listed.
    let noLongerNeeded: [Document]

    var isComplete: Bool { items.allSatisfy(\.isDone) }
    /// Every household member, applicant first (each has an ID item).
    var members: [HouseholdMember] { items.compactMap(\.member) }
    /// The selected eligibility programs (each has a proof item).
    var programs: [EligibilityProgram] { items.compactMap(\.program) }
    var missing: [Item] { items.filter { !$0.isDone } }

    func item(_ key: String) -> Item? { items.first { $0.key == key } }

    /// The item for documents staff asked for that fit no member or program.
    static let otherKey = "other"

    static func load(for application: ApplicationRecord, on db: any Database) async throws -> DocumentChecklist {
        let members = try await MembersController.members(of: application, on: db)
        let programs = application.noPrograms ? [] : try await ProgramsStepController.selected(application, on: db)
        let documents = try await Document.query(on: db).filter(\.$application.$id == application.requireID()).sort(\.$uploadedAt).all()
        // A renewal links the accepted files of the application it renews.
        var accepted: [Document] = []
        if application.kind == .renewal, let renewed = application.renewsID {
            accepted = try await Document.query(on: db).filter(\.$application.$id == renewed).filter(\.$reviewState == .accepted)
                .sort(\.$uploadedAt).all()
        }
        var used = Set<UUID>()
        var items: [Item] = []
        for member in members {
            let mine = documents.filter { $0.purpose == .memberID && $0.$member.id == member.id }
            used.formUnion(mine.compactMap(\.id))
            let carried = member.carriedFromID.map { from in accepted.filter { $0.purpose == .memberID && $0.$member.id == from } } ?? []
            items.append(
                Item(
                    key: "member-\(member.id!.uuidString.lowercased())", purpose: .memberID, member: member, program: nil, documents: mine,
                    carried: carried))
        }
        for program in programs {
            let mine = documents.filter { $0.purpose == .programProof && $0.$program.id == program.id }
            used.formUnion(mine.compactMap(\.id))
            let carried = accepted.filter { $0.purpose == .programProof && $0.$program.id == program.id }
            items.append(
                Item(
                    key: "program-\(program.slug)", purpose: .programProof, member: nil, program: program, documents: mine,
                    carried: carried))
        }
        // "Something else" staff asked for in a request for information (issue 9).
        let others = documents.filter { $0.purpose == .other }
        if application.requestedItems.contains(Self.otherKey) || !others.isEmpty {
            used.formUnion(others.compactMap(\.id))
            items.append(Item(key: Self.otherKey, purpose: .other, member: nil, program: nil, documents: others))
        }
        return DocumentChecklist(items: items, noLongerNeeded: documents.filter { !used.contains($0.id!) })
    }
}
