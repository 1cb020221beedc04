import Eligibility
import Fluent
import Foundation
import Vapor

/// What verifying a renewal does to the household's enrollments (P11, issue 12), inside the
/// verification's transaction: each enrollment in a program the household still qualifies for
/// runs to a new expiry from this verification; one that no longer qualifies ends now with the
/// rule's reason (the resident reads it); lifetime programs are never touched; newly eligible
/// auto-apply programs get an `applied` enrollment, and an enrollment that had ended (no
/// renewal in time, or an earlier renewal) in a program the household now qualifies for again
/// goes back to `applied`, for the department to decide. Enrollments still waiting for the
/// department keep waiting; the department sees the new verification. A denied renewal calls
/// none of this: enrollments then run to their expiry.
enum RenewalDecision {
    struct Outcome: Sendable, Equatable {
        var kept: [String] = []
        var ended: [String] = []
        var reapplied: [String] = []
    }

    static func apply(_ renewal: ApplicationRecord, verifiedAt now: Date, on db: any Database) async throws -> Outcome {
        let eligibility = try await HouseholdEligibility.load(for: renewal, on: db)
        let dates = RenewalDates(timeZone: Request.cityTimeZone)
        let programs = try await BenefitProgram.query(on: db).all()
        let byID = Dictionary(uniqueKeysWithValues: programs.map { ($0.id!, $0) })
        var outcome = Outcome()
        for enrollment in try await Enrollment.query(on: db).filter(\.$household.$id == renewal.$household.id)
            .filter(\.$status == .enrolled).all()
        {
            guard let program = byID[enrollment.$program.id], program.renewalYears > 0 else { continue }
            if let reason = eligibility.check(program) {
                enrollment.status = .expired
                enrollment.endReason = Self.code(reason)
                enrollment.endedAt = now
                outcome.ended.append(program.slug)
            } else {
                enrollment.expiresAt = dates.expiry(verifiedAt: now, renewalYears: program.renewalYears)
                outcome.kept.append(program.slug)
            }
            try await enrollment.update(on: db)
        }
        for enrollment in try await Enrollment.query(on: db).filter(\.$household.$id == renewal.$household.id)
            .filter(\.$status == .expired).all()
        {
            guard let program = byID[enrollment.$program.id], program.active, eligibility.check(program) == nil else { continue }
            enrollment.status = .applied
            enrollment.appliedAt = now
            enrollment.applicationID = renewal.id
            enrollment.endReason = nil
            enrollment.endedAt = nil
            enrollment.enrolledAt = nil
            enrollment.enrolledBy = nil
            enrollment.expiresAt = nil
            enrollment.decidedAt = nil
            enrollment.decidedBy = nil
            enrollment.declineReason = nil
            try await enrollment.update(on: db)
            outcome.reapplied.append(program.slug)
        }
        try await AutoApply.run(applicationID: try renewal.requireID(), on: db)
        return outcome
    }

    /// The stored reason an enrollment ended, from the eligibility rule.
    static func code(_ reason: Ineligibility) -> String {
        switch reason {
        case .programInactive: "inactive"
        case .noIncomeLevel: "no_level"
        case .incomeAboveCeiling: "income"
        case .outsideCoverage: "coverage"
        }
    }
}
