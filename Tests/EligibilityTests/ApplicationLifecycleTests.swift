import Testing

@testable import Eligibility

@Suite("The application lifecycle (issue 9)")
struct ApplicationLifecycleTests {
    /// Every (actor, action, from) that is allowed, and where it leads. Anything not listed
    /// must be refused.
    static let allowed: [(LifecycleActor, LifecycleAction, ApplicationStatus, ApplicationStatus)] = [
        (.resident, .submit, .draft, .submitted),
        (.resident, .respond, .needsInfo, .submitted),
        (.resident, .withdraw, .draft, .withdrawn),
        (.resident, .withdraw, .submitted, .withdrawn),
        (.resident, .withdraw, .needsInfo, .withdrawn),
        (.verifier, .requestInformation, .submitted, .needsInfo),
        (.verifier, .verify, .submitted, .verified),
        (.verifier, .verify, .needsInfo, .verified),
        (.verifier, .deny, .submitted, .denied),
        (.verifier, .deny, .needsInfo, .denied),
        (.admin, .requestInformation, .submitted, .needsInfo),
        (.admin, .verify, .submitted, .verified),
        (.admin, .verify, .needsInfo, .verified),
        (.admin, .deny, .submitted, .denied),
        (.admin, .deny, .needsInfo, .denied),
        (.admin, .withdraw, .draft, .withdrawn),
        (.admin, .withdraw, .submitted, .withdrawn),
        (.admin, .withdraw, .needsInfo, .withdrawn),
    ]

    @Test func everyCombinationIsAllowedExactlyWhenTheTableSaysSo() {
        for actor in LifecycleActor.allCases {
            for action in LifecycleAction.allCases {
                for status in ApplicationStatus.allCases {
                    let expected = Self.allowed.first { $0.0 == actor && $0.1 == action && $0.2 == status }?.3
                    #expect(
                        ApplicationLifecycle.decide(actor, action, from: status) == expected,
                        "\(actor) \(action) from \(status)")
                }
            }
        }
    }

    @Test func coordinatorsNeverMoveAnApplication() {
        for action in LifecycleAction.allCases {
            for status in ApplicationStatus.allCases {
                #expect(ApplicationLifecycle.decide(.coordinator, action, from: status) == nil)
            }
        }
    }

    @Test(arguments: [
        (ApplicationStatus.draft, ResidentEditing.everything),
        (.needsInfo, .requestedDocumentsAndResponse),
        (.submitted, .nothing), (.verified, .nothing), (.denied, .nothing), (.withdrawn, .nothing),
    ])
    func whatTheResidentMayChange(status: ApplicationStatus, editing: ResidentEditing) {
        #expect(ApplicationLifecycle.residentEditing(status) == editing)
    }

    @Test(arguments: [
        ([ApplicationStatus](), true), ([.verified], true), ([.denied], true), ([.verified, .withdrawn], true),
        ([.draft], false), ([.submitted], false), ([.verified, .needsInfo], false), ([.verified, .draft], false),
    ])
    func aNewApplicationStartsOnlyWhenNoneIsOpen(existing: [ApplicationStatus], allowed: Bool) {
        #expect(ApplicationLifecycle.mayStartApplication(existing: existing) == allowed)
    }

    @Test func eligibilityRestsOnTheLastVerifiedApplication() {
        typealias Row = (id: Int, status: ApplicationStatus)
        let cases: [([Row], Int?)] = [
            ([], nil),
            ([(1, .submitted)], nil),
            ([(1, .verified)], 1),
            ([(1, .verified), (2, .draft)], 1),
            ([(1, .verified), (2, .submitted)], 1),
            ([(1, .verified), (2, .denied)], 1),  // a denied renewal takes nothing away
            ([(1, .verified), (2, .verified)], 2),
            ([(1, .denied), (2, .verified), (3, .needsInfo)], 2),
        ]
        for (rows, expected) in cases {
            #expect(ApplicationLifecycle.eligibilityBasis(rows) == expected, "\(rows)")
        }
    }
}
