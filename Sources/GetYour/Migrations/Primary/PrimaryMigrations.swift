import Fluent

/// The primary database's migrations, in order. One change per struct (style 15).
enum PrimaryMigrations {
    static let all: [any Migration] = [
        CreateSessions(),
        CreateUsers(),
        CreateAccountTokens(),
        CreateThrottleEvents(),
        CreateStaffProgramScopes(),
        CreateEligibilityPrograms(),
        CreateBenefitPrograms(),
        CreateHouseholds(),
        CreateAddresses(),
        CreateApplications(),
        CreateHouseholdMembers(),
        CreateApplicationEligibilityPrograms(),
        CreateDocuments(),
        CreateEnrollments(),
        CreateFeedback(),
        AddHouseholdDashboardSeen(),
        AddUserSecurityFields(),
        CreateRecoveryCodes(),
        CreateAuditEvents(),
        AddApplicationReviewFields(),
        CreateApplicationMessages(),
        CreateStaffNotes(),
        CreateStaffVisits(),
        AddQueueIndexes(),
        CreateOutboxMessages(),
        AddUserTextMessagesChoice(),
        AddEnrollmentDecisions(),
        AddProgramListIndexes(),
        AddRenewals(),
        CreateJobRuns(),
        AddDocumentPurge(),
        CreateHouseholdContacts(),
    ]
}
