import Testing

@testable import Eligibility

@Suite("The application's step graph (P3)")
struct StepGraphTests {
    @Test func completingEachStepInOrderReachesEveryStep() {
        var graph = StepGraph.start
        var visited: [Step] = [.getReady]
        var step = Step.address
        while true {
            #expect(graph.isReachable(step), "\(step) should be reachable")
            visited.append(step)
            graph = graph.completing(step)
            guard let next = step.next else { break }
            #expect(graph.firstUnfinished == next)
            step = next
        }
        #expect(visited == Step.allCases)
    }

    @Test func everyStepButReviewHasANextAndEveryStepButTheFirstHasABack() {
        for step in Step.allCases {
            #expect((step.next == nil) == (step == .review), "dead end at \(step)")
            #expect((step.previous == nil) == (step == .getReady))
        }
    }

    @Test func aNewApplicationStartsAtTheAddressWithLaterStepsLocked() {
        let graph = StepGraph.start
        #expect(graph.firstUnfinished == .address)
        #expect(graph.isReachable(.getReady) && graph.isReachable(.address))
        for step in [Step.household, .members, .programs, .documents, .review] {
            #expect(!graph.isReachable(step))
        }
    }

    @Test func goingBackToChangeAnEarlierStepNeverLocksLaterOnes() {
        let graph = StepGraph(furthest: .review).completing(.address)
        #expect(graph.furthest == .review)
        #expect(graph.firstUnfinished == .review)
    }

    @Test func stepNumbersCountFromOne() {
        #expect(Step.getReady.number == 1)
        #expect(Step.review.number == Step.count)
    }
}

@Suite("Birthdates (P3 step 6)")
struct BirthdateTests {
    let today = CalendarDate(year: 2026, month: 11, day: 21)

    @Test(
        arguments: [
            ("1985-04-12", nil), ("2026-11-21", nil), ("1900-01-01", nil), ("2024-02-29", nil),
            ("2026-11-22", BirthdateRule.Problem.inTheFuture), ("1899-12-31", .before1900),
            ("2023-02-29", .notADate), ("2023-13-01", .notADate), ("12/04/1985", .notADate), ("", .notADate), ("1985-4-12", .notADate),
        ] as [(String, BirthdateRule.Problem?)])
    func birthdatesAreRealPastDates(text: String, problem: BirthdateRule.Problem?) {
        #expect(BirthdateRule.check(text, today: today) == problem)
    }

    @Test func ageCountsWholeYears() {
        #expect(CalendarDate("2008-11-21")!.age(on: today) == 18)
        #expect(CalendarDate("2008-11-22")!.age(on: today) == 17)
    }
}
