//! The other rows the generator writes: dispute details, mediation sessions, grid
//! boundaries, regions, households, residents and posts.

use wangge_store::grids::GridRow;
use wangge_store::mediation::{DisputeRow, SessionRow};

use super::write::{Insert, Q};

impl Insert for DisputeRow {
    const TABLE: &'static str = "dispute_details";
    const COLUMNS: &'static [&'static str] = &[
        "case_id",
        "came_by",
        "amount_yuan",
        "outcome",
        "referral",
        "resolved_at",
        "civil_to_criminal",
        "criminal_to_homicide",
        "outcome_note",
    ];
    fn bind(self, q: Q) -> Q {
        q.bind(self.case_id)
            .bind(self.came_by)
            .bind(self.amount_yuan)
            .bind(self.outcome)
            .bind(self.referral)
            .bind(self.resolved_at)
            .bind(self.civil_to_criminal)
            .bind(self.criminal_to_homicide)
            .bind(self.outcome_note)
    }
}

impl Insert for SessionRow {
    const TABLE: &'static str = "mediation_sessions";
    const COLUMNS: &'static [&'static str] = &[
        "case_id",
        "held_at",
        "place",
        "attendees",
        "facts",
        "proposals",
        "result",
        "mediator_id",
        "created_at",
    ];
    fn bind(self, q: Q) -> Q {
        q.bind(self.case_id)
            .bind(self.held_at)
            .bind(self.place)
            .bind(self.attendees)
            .bind(self.facts)
            .bind(self.proposals)
            .bind(self.result)
            .bind(self.mediator_id)
            .bind(self.created_at)
    }
}

impl Insert for GridRow {
    const TABLE: &'static str = "grids";
    const COLUMNS: &'static [&'static str] = &[
        "code",
        "boundary",
        "min_lng",
        "min_lat",
        "max_lng",
        "max_lat",
        "area_m2",
        "updated_at",
    ];
    const SUFFIX: &'static str = "ON CONFLICT (code) DO NOTHING";
    fn bind(self, q: Q) -> Q {
        q.bind(self.code)
            .bind(self.boundary)
            .bind(self.min_lng)
            .bind(self.min_lat)
            .bind(self.max_lng)
            .bind(self.max_lat)
            .bind(self.area_m2)
            .bind(self.updated_at)
    }
}

/// A region node as `regions::upsert` writes it; existing codes are left as they are.
pub struct RegionOut {
    pub code: String,
    pub name: String,
    pub level: &'static str,
    pub parent_code: Option<String>,
    pub at: i64,
}

impl Insert for RegionOut {
    const TABLE: &'static str = "regions";
    const COLUMNS: &'static [&'static str] = &[
        "code",
        "name",
        "level",
        "parent_code",
        "created_at",
        "updated_at",
    ];
    const SUFFIX: &'static str = "ON CONFLICT (code) DO NOTHING";
    fn bind(self, q: Q) -> Q {
        q.bind(self.code)
            .bind(self.name)
            .bind(self.level)
            .bind(self.parent_code)
            .bind(self.at)
            .bind(self.at)
    }
}

/// A household as `households::upsert` writes it, with its id given.
pub struct HouseholdOut {
    pub id: i64,
    pub household_no: String,
    pub region_code: String,
    pub address: String,
    pub at: i64,
}

impl Insert for HouseholdOut {
    const TABLE: &'static str = "households";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "household_no",
        "region_code",
        "address",
        "version",
        "created_at",
        "updated_at",
    ];
    fn bind(self, q: Q) -> Q {
        q.bind(self.id)
            .bind(self.household_no)
            .bind(self.region_code)
            .bind(self.address)
            .bind(1_i64)
            .bind(self.at)
            .bind(self.at)
    }
}

/// A resident as `households::upsert_member` inserts one (fields sealed by the cipher).
pub struct ResidentOut {
    pub region_code: String,
    pub name: String,
    pub sex: &'static str,
    pub birth_date: String,
    pub id_number_enc: Vec<u8>,
    pub id_number_hash: String,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_hash: Option<String>,
    pub household_id: i64,
    pub relation: &'static str,
    pub at: i64,
}

impl Insert for ResidentOut {
    const TABLE: &'static str = "residents";
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "name",
        "sex",
        "birth_date",
        "id_number_enc",
        "id_number_hash",
        "phone_enc",
        "phone_hash",
        "version",
        "created_at",
        "updated_at",
        "household_id",
        "relation",
    ];
    fn bind(self, q: Q) -> Q {
        q.bind(self.region_code)
            .bind(self.name)
            .bind(self.sex)
            .bind(self.birth_date)
            .bind(self.id_number_enc)
            .bind(self.id_number_hash)
            .bind(self.phone_enc)
            .bind(self.phone_hash)
            .bind(1_i64)
            .bind(self.at)
            .bind(self.at)
            .bind(self.household_id)
            .bind(self.relation)
    }
}

/// A post (网格员, 片长/组长/邻长) as `grids::add_post` writes it.
pub struct PostOut {
    pub region_code: String,
    pub post: &'static str,
    pub employment: Option<&'static str>,
    pub name: String,
    pub phone_enc: Vec<u8>,
    pub at: i64,
}

impl Insert for PostOut {
    const TABLE: &'static str = "posts";
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "post",
        "employment",
        "name",
        "phone_enc",
        "user_id",
        "created_at",
    ];
    fn bind(self, q: Q) -> Q {
        q.bind(self.region_code)
            .bind(self.post)
            .bind(self.employment)
            .bind(self.name)
            .bind(self.phone_enc)
            .bind(Option::<i64>::None)
            .bind(self.at)
    }
}
