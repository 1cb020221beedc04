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

        var isDone: Bool { !documents.isEmpty }

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
        var used = Set<UUID>()
        var items: [Item] = []
        for member in members {
            let mine = documents.filter { $0.purpose == .memberID && $0.$member.id == member.id }
            used.formUnion(mine.compactMap(\.id))
            items.append(
                Item(key: "member-\(member.id!.uuidString.lowercased())", purpose: .memberID, member: member, program: nil, documents: mine)
            )
        }
        for program in programs {
            let mine = documents.filter { $0.purpose == .programProof && $0.$program.id == program.id }
            used.formUnion(mine.compactMap(\.id))
            items.append(Item(key: "program-\(program.slug)", purpose: .programProof, member: nil, program: program, documents: mine))
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
