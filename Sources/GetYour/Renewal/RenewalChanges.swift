import Eligibility
import Fluent
import Foundation

/// What a renewal changes against the application it renews, in plain lines (the review
/// page's "what changed" and the staff household page's comparison, P11).
enum RenewalChanges {
    struct Line: Encodable, Sendable, Equatable {
        /// `renewal.section.*` title key of the part that changed.
        let sectionKey: String
        let before: String
        let after: String
    }

    static func compare(_ renewal: ApplicationRecord, on db: any Database, messages: Messages, language: Language) async throws
        -> [Line]
    {
        guard renewal.kind == .renewal, let renewedID = renewal.renewsID,
            let renewed = try await ApplicationRecord.find(renewedID, on: db)
        else { return [] }
        func t(_ key: String) -> String { messages.text(key, language) }
        var lines: [Line] = []

        let addressIDs = [
            renewed.$eligibilityAddress.id, renewal.$eligibilityAddress.id, renewed.$mailingAddress.id, renewal.$mailingAddress.id,
        ]
        .compactMap { $0 }
        let addresses = try await Address.query(on: db).filter(\.$id ~~ addressIDs).all()
        func text(_ id: UUID?) -> String { addresses.first { $0.id == id }?.lines.joined(separator: ", ") ?? "—" }
        if renewed.$eligibilityAddress.id != renewal.$eligibilityAddress.id {
            lines.append(
                Line(
                    sectionKey: "review.section.address", before: text(renewed.$eligibilityAddress.id),
                    after: text(renewal.$eligibilityAddress.id)))
        }
        if renewed.$mailingAddress.id != renewal.$mailingAddress.id {
            lines.append(
                Line(
                    sectionKey: "review.section.mailing", before: text(renewed.$mailingAddress.id), after: text(renewal.$mailingAddress.id))
            )
        }
        func household(_ application: ApplicationRecord) -> String {
            [application.rentOwn.map { t("household.\($0.rawValue)") }, application.duration.map { t("household.\($0.rawValue)") }]
                .compactMap { $0 }.joined(separator: ", ")
        }
        if renewed.rentOwn != renewal.rentOwn || renewed.duration != renewal.duration {
            lines.append(Line(sectionKey: "review.section.household", before: household(renewed), after: household(renewal)))
        }

        let before = try await HouseholdMember.query(on: db).filter(\.$application.$id == renewedID).all()
        let after = try await HouseholdMember.query(on: db).filter(\.$application.$id == renewal.requireID()).all()
        func person(_ member: HouseholdMember) -> String { "\(member.fullName) (\(member.birthdate))" }
        for member in after {
            if let source = before.first(where: { $0.id == member.carriedFromID }) {
                if person(source) != person(member) {
                    lines.append(Line(sectionKey: "review.section.members", before: person(source), after: person(member)))
                }
            } else {
                lines.append(Line(sectionKey: "review.section.members", before: "—", after: person(member)))
            }
        }
        for member in before where !after.contains(where: { $0.carriedFromID == member.id }) {
            lines.append(Line(sectionKey: "review.section.members", before: person(member), after: "—"))
        }

        let programsBefore = try await ProgramsStepController.selected(renewed, on: db).map { $0.name(language) }.sorted()
        let programsAfter = try await ProgramsStepController.selected(renewal, on: db).map { $0.name(language) }.sorted()
        let none = t("renewal.no_programs")
        if programsBefore != programsAfter || renewed.noPrograms != renewal.noPrograms {
            lines.append(
                Line(
                    sectionKey: "review.section.programs",
                    before: renewed.noPrograms || programsBefore.isEmpty ? none : programsBefore.joined(separator: ", "),
                    after: renewal.noPrograms || programsAfter.isEmpty ? none : programsAfter.joined(separator: ", ")))
        }
        return lines
    }
}
