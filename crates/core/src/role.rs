//! Roles and what each may do. This table is the whole policy: handlers ask
//! `role.may(permission)` through the one scope check in the server, never decide ad hoc.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Leader,
    IntakeOperator,
    Dispatcher,
    DepartmentHandler,
    Mediator,
    LegalAdvisor,
    GridWorker,
    BlockLeader,
    GroupLeader,
    NeighborLeader,
    Enterprise,
}

/// What a request wants to do. Each is checked together with the region it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read the region tree (names and codes).
    ReadRegions,
    /// Add or rename regions below the caller's scope (grids, 片/组/邻).
    ManageRegions,
    /// Create users and tokens for others, inside the caller's scope.
    ManageUsers,
    /// Read people (masked).
    ReadPeople,
    /// Create and edit people.
    WritePeople,
    /// See 身份证号 and phone numbers unmasked (each view is audited).
    RevealPersonalData,
    /// Read and verify the audit log.
    ReadAudit,
    /// Read cases (enterprises: only the ones they raised).
    ReadCases,
    /// Raise a case from any channel.
    CreateCases,
    /// Merge duplicate cases.
    MergeCases,
    /// Maintain routing rules (category × region → assignee).
    ManageRouting,
    /// Read dashboard figures (the three rates, counts).
    ReadStats,
    /// Run the escalation sweep by hand (operations).
    RunSweep,
    /// Draw grid boundaries, name 网格员 and 三长, set patrol plans and 包干 assignments.
    ManageGrids,
    /// Record field work: visits, patrols, 民情日记.
    FieldWork,
    /// Read and write 家庭家事档案 (every read is audited).
    FamilyFiles,
    /// Mediate disputes: sessions, agreements, follow-ups.
    Mediate,
    /// Answer mediators' legal questions.
    GiveLegalAdvice,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Admin,
        Role::Leader,
        Role::IntakeOperator,
        Role::Dispatcher,
        Role::DepartmentHandler,
        Role::Mediator,
        Role::LegalAdvisor,
        Role::GridWorker,
        Role::BlockLeader,
        Role::GroupLeader,
        Role::NeighborLeader,
        Role::Enterprise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Leader => "leader",
            Role::IntakeOperator => "intake_operator",
            Role::Dispatcher => "dispatcher",
            Role::DepartmentHandler => "department_handler",
            Role::Mediator => "mediator",
            Role::LegalAdvisor => "legal_advisor",
            Role::GridWorker => "grid_worker",
            Role::BlockLeader => "block_leader",
            Role::GroupLeader => "group_leader",
            Role::NeighborLeader => "neighbor_leader",
            Role::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Leader => "领导",
            Role::IntakeOperator => "综治中心受理员",
            Role::Dispatcher => "派遣员",
            Role::DepartmentHandler => "部门处置人员",
            Role::Mediator => "调解员",
            Role::LegalAdvisor => "法律顾问",
            Role::GridWorker => "网格员",
            Role::BlockLeader => "片长",
            Role::GroupLeader => "组长",
            Role::NeighborLeader => "邻长",
            Role::Enterprise => "企业用户",
        }
    }

    pub fn may(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            ReadRegions => true,
            ManageRegions | ManageUsers | ReadAudit | RunSweep => self == Admin,
            ReadCases => self != Admin,
            CreateCases => !matches!(self, Admin | DepartmentHandler),
            MergeCases => matches!(self, IntakeOperator | Dispatcher),
            ManageRouting => matches!(self, Admin | Dispatcher),
            ReadStats => matches!(self, Leader | IntakeOperator | Dispatcher | Admin),
            ManageGrids => matches!(self, Admin | Dispatcher),
            FieldWork => !matches!(self, Admin | Enterprise | DepartmentHandler),
            FamilyFiles => matches!(self, Mediator | LegalAdvisor | GridWorker | BlockLeader),
            Mediate => matches!(
                self,
                Mediator
                    | LegalAdvisor
                    | GridWorker
                    | BlockLeader
                    | GroupLeader
                    | NeighborLeader
                    | IntakeOperator
                    | Dispatcher
            ),
            GiveLegalAdvice => self == LegalAdvisor,
            ReadPeople => !matches!(self, Enterprise | DepartmentHandler),
            WritePeople => matches!(
                self,
                Admin | IntakeOperator | GridWorker | BlockLeader | GroupLeader | NeighborLeader
            ),
            // The system administrator runs the system, not the people's files (等保: separation
            // of duties); leaders see figures. Those who must phone or visit residents may reveal.
            RevealPersonalData => matches!(
                self,
                IntakeOperator | Dispatcher | Mediator | LegalAdvisor | GridWorker | BlockLeader
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn separation_of_duties() {
        assert!(Role::Admin.may(Permission::ManageUsers));
        assert!(!Role::Admin.may(Permission::RevealPersonalData));
        assert!(!Role::Leader.may(Permission::RevealPersonalData));
        assert!(Role::GridWorker.may(Permission::RevealPersonalData));
        assert!(!Role::Enterprise.may(Permission::ReadPeople));
        assert!(Role::Enterprise.may(Permission::ReadRegions));
        assert!(
            !Role::Admin.may(Permission::ReadCases),
            "the system administrator reads no case files"
        );
        assert!(Role::Enterprise.may(Permission::CreateCases));
        assert!(!Role::DepartmentHandler.may(Permission::CreateCases));
    }
}
