/// The life of one application after it is started (P2, P11, issue 9): which statuses exist,
/// who may move an application from one to another, what the resident may still change, and
/// which application the household's eligibility rests on. Pure rules, table-tested; the web
/// layer asks, it never decides on its own.
public enum ApplicationStatus: String, Sendable, CaseIterable, Codable {
    case draft, submitted
    case needsInfo = "needs_info"
    case verified, denied, withdrawn
}

/// Who is acting. Admins may do everything a verifier may.
public enum LifecycleActor: String, Sendable, CaseIterable {
    case resident, verifier, coordinator, admin

    var verifies: Bool { self == .verifier || self == .admin }
}

/// Something that moves an application from one status to another.
public enum LifecycleAction: String, Sendable, CaseIterable {
    case submit
    case requestInformation = "request_info"
    case respond
    case verify
    case deny
    case withdraw
}

/// What a resident may change in an application in a given status.
public enum ResidentEditing: Sendable, Equatable {
    /// Every step (a draft).
    case everything
    /// Only upload documents for the items staff asked for, and send a response.
    case requestedDocumentsAndResponse
    /// Nothing: the application is with staff, or decided.
    case nothing
}

public enum ApplicationLifecycle {
    /// The status an action leads to from `status`, or nil when the action does not exist
    /// there (a decision on a decided application, a response nobody asked for, …).
    public static func next(after action: LifecycleAction, from status: ApplicationStatus) -> ApplicationStatus? {
        switch (action, status) {
        case (.submit, .draft): .submitted
        case (.requestInformation, .submitted): .needsInfo
        case (.respond, .needsInfo): .submitted
        case (.verify, .submitted), (.verify, .needsInfo): .verified
        case (.deny, .submitted), (.deny, .needsInfo): .denied
        case (.withdraw, .draft), (.withdraw, .submitted), (.withdraw, .needsInfo): .withdrawn
        default: nil
        }
    }

    /// Whether `actor` may take `action` at all (independently of the status).
    public static func may(_ actor: LifecycleActor, _ action: LifecycleAction) -> Bool {
        switch action {
        case .submit, .respond: actor == .resident
        case .requestInformation, .verify, .deny: actor.verifies
        case .withdraw: actor == .resident || actor == .admin
        }
    }

    /// The one question every handler asks: may this actor take this action on an
    /// application in this status now? Returns the new status, or nil when refused.
    public static func decide(_ actor: LifecycleActor, _ action: LifecycleAction, from status: ApplicationStatus) -> ApplicationStatus? {
        guard may(actor, action) else { return nil }
        return next(after: action, from: status)
    }

    /// What the resident may change in an application in `status`.
    public static func residentEditing(_ status: ApplicationStatus) -> ResidentEditing {
        switch status {
        case .draft: .everything
        case .needsInfo: .requestedDocumentsAndResponse
        case .submitted, .verified, .denied, .withdrawn: .nothing
        }
    }

    /// Whether a household may start a new application (a first one, or a renewal) now:
    /// never while one is a draft or with staff.
    public static func mayStartApplication(existing: [ApplicationStatus]) -> Bool {
        !existing.contains { [.draft, .submitted, .needsInfo].contains($0) }
    }

    /// Which application the household's eligibility rests on: the most recently verified one.
    /// A later application that is a draft, under review or denied takes nothing away from what
    /// an earlier verification granted. `applications` are oldest first.
    public static func eligibilityBasis<ID>(_ applications: [(id: ID, status: ApplicationStatus)]) -> ID? {
        applications.last { $0.status == .verified }?.id
    }
}
