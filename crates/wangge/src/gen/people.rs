//! People: the demo users and a staff of seven per county (the accounts that act on the
//! generated cases), households with their residents (valid GB 11643 numbers, encrypted
//! as the server stores them), and the posts of 网格员 and 三长.

use std::collections::HashMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use wangge_core::date::Date;
use wangge_core::id_number;
use wangge_core::role::Role;
use wangge_crypto::FieldCipher;
use wangge_store::users::{self, NewUser};
use wangge_store::{AnyConnection, StoreError};

use super::names::{given_name, mobile, person_name, pick, SURNAMES};
use super::place::{County, World};
use super::rows::{HouseholdOut, PostOut, ResidentOut};
use crate::demo::DEMO_USERS;

/// Who acts on a case; each county has one account per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Intake,
    Dispatcher,
    Handler,
    Leader,
    Mediator,
    Advisor,
    GridWorker,
}

impl Who {
    pub const ALL: [Who; 7] = [
        Who::Intake,
        Who::Dispatcher,
        Who::Handler,
        Who::Leader,
        Who::Mediator,
        Who::Advisor,
        Who::GridWorker,
    ];

    pub fn role(self) -> Role {
        match self {
            Who::Intake => Role::IntakeOperator,
            Who::Dispatcher => Role::Dispatcher,
            Who::Handler => Role::DepartmentHandler,
            Who::Leader => Role::Leader,
            Who::Mediator => Role::Mediator,
            Who::Advisor => Role::LegalAdvisor,
            Who::GridWorker => Role::GridWorker,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Who::Intake => "intake",
            Who::Dispatcher => "dispatcher",
            Who::Handler => "handler",
            Who::Leader => "leader",
            Who::Mediator => "mediator",
            Who::Advisor => "advisor",
            Who::GridWorker => "gridworker",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Who::Intake => "综治中心受理员",
            Who::Dispatcher => "综治中心派遣员",
            Who::Handler => "住建局处置人员",
            Who::Leader => "县领导",
            Who::Mediator => "人民调解员",
            Who::Advisor => "法律顾问",
            Who::GridWorker => "专职网格员",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub display: String,
}

/// Per county, one account per [`Who`] (indexed by its position in `Who::ALL`).
pub struct Staff(pub Vec<Vec<StaffUser>>);

impl Staff {
    pub fn get(&self, county: usize, who: Who) -> &StaffUser {
        &self.0[county][who as usize]
    }
}

async fn ensure_user(
    conn: &mut AnyConnection,
    u: &NewUser<'_>,
    at: i64,
) -> anyhow::Result<(StaffUser, bool)> {
    let (id, display, made) = match users::by_username(conn, u.username).await {
        Ok(existing) => (existing.row.id, existing.row.display_name, false),
        Err(StoreError::NotFound) => (
            users::create(conn, u, at).await?,
            u.display_name.to_string(),
            true,
        ),
        Err(e) => return Err(e.into()),
    };
    let user = StaffUser {
        id,
        username: u.username.to_string(),
        display,
    };
    Ok((user, made))
}

/// Creates the demo users that are absent, and the staff of every county. 桂东县 uses the
/// demo accounts that cover the whole county (受理员, 派遣员, 处置人员, 领导). Returns the
/// staff and how many accounts were created.
pub async fn ensure_staff(
    conn: &mut AnyConnection,
    counties: &[County],
    password_hash: &str,
    at: i64,
) -> anyhow::Result<(Staff, usize)> {
    let mut made = 0;
    let mut demo = HashMap::new();
    for (username, display, role, region) in DEMO_USERS {
        let scope = vec![region.to_string()];
        let new = NewUser {
            username,
            display_name: display,
            role: role.as_str(),
            password_hash,
            must_change_password: false,
            regions: &scope,
        };
        let (u, m) = ensure_user(conn, &new, at).await?;
        made += usize::from(m);
        if region == "431027000000" {
            demo.insert(role, u);
        }
    }
    // Province-wide accounts, for looking at every generated county at once.
    let province = vec!["430000000000".to_string()];
    for (username, display, role) in [
        ("gen_admin", "湖南省系统管理员（生成数据）", Role::Admin),
        ("gen_leader", "湖南省领导（生成数据）", Role::Leader),
    ] {
        let new = NewUser {
            username,
            display_name: display,
            role: role.as_str(),
            password_hash,
            must_change_password: false,
            regions: &province,
        };
        made += usize::from(ensure_user(conn, &new, at).await?.1);
    }
    let mut staff = Vec::new();
    for c in counties {
        let scope = vec![format!("{}000000", c.code6)];
        let mut row = Vec::new();
        for who in Who::ALL {
            if c.code6 == "431027" {
                if let Some(u) = demo.get(&who.role()) {
                    row.push(u.clone());
                    continue;
                }
            }
            let username = format!("gen{}_{}", c.code6, who.slug());
            let display = format!("{}{}", c.name, who.title());
            let new = NewUser {
                username: &username,
                display_name: &display,
                role: who.role().as_str(),
                password_hash,
                must_change_password: false,
                regions: &scope,
            };
            let (u, m) = ensure_user(conn, &new, at).await?;
            made += usize::from(m);
            row.push(u);
        }
        staff.push(row);
    }
    Ok((Staff(staff), made))
}

/// An adult of a village, who may report a case or be a party to a dispute.
pub struct Person {
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
}

/// Everything written for one county's households, and its adults by village.
pub struct CountyPeople {
    pub households: Vec<HouseholdOut>,
    pub residents: Vec<ResidentOut>,
    pub posts: Vec<PostOut>,
    pub adults: Vec<(usize, Vec<Person>)>,
}

/// Unique 身份证号 per county: the next sequence number for each birth date.
#[derive(Default)]
pub struct IdBook(HashMap<(usize, i64), u16>);

impl IdBook {
    fn issue<R: Rng>(
        &mut self,
        rng: &mut R,
        county: usize,
        area: &str,
        mut birth: Date,
        male: bool,
    ) -> (Date, String) {
        loop {
            let next = self
                .0
                .entry((county, birth.to_days()))
                .or_insert_with(|| rng.gen_range(1..200));
            let mut seq = *next;
            if (seq % 2 == 1) != male {
                seq += 1;
            }
            if seq <= 999 {
                *next = seq + 1;
                return (birth, id_number::compose(area, birth, seq));
            }
            // This date is used up: the day before.
            birth = Date::from_days(birth.to_days() - 1);
        }
    }
}

fn birth<R: Rng>(rng: &mut R, year: i32, today: Date) -> Date {
    let y = year.min(today.year - 1);
    let d = Date::new(y, rng.gen_range(1..=12), rng.gen_range(1..=28)).unwrap_or(Date {
        year: 1980,
        month: 1,
        day: 1,
    });
    if d < today {
        d
    } else {
        Date { year: y - 1, ..d }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn county_people(
    rng: &mut ChaCha8Rng,
    w: &World,
    county: usize,
    per_village: usize,
    cipher: &FieldCipher,
    ids: &mut IdBook,
    first_household_id: i64,
    today: Date,
    at: i64,
) -> CountyPeople {
    let c = &w.counties[county];
    let mut out = CountyPeople {
        households: Vec::new(),
        residents: Vec::new(),
        posts: Vec::new(),
        adults: Vec::new(),
    };
    let age =
        |b: Date| today.year - b.year - i32::from((today.month, today.day) < (b.month, b.day));
    for v in c.villages.clone() {
        let village = &w.villages[v];
        let mut adults = Vec::new();
        for g in village.grids.clone() {
            let male = rng.gen_bool(0.6);
            let name = person_name(rng, male);
            out.posts.push(PostOut {
                region_code: w.grids[g].code.clone(),
                post: "grid_worker",
                employment: Some(if rng.gen_bool(0.85) {
                    "full_time"
                } else {
                    "part_time"
                }),
                name,
                phone_enc: cipher.encrypt("phone", &mobile(rng)),
                at,
            });
        }
        for (code, post) in &w.leader_posts[village.posts.clone()] {
            let male = rng.gen_bool(0.5);
            let name = person_name(rng, male);
            out.posts.push(PostOut {
                region_code: code.clone(),
                post,
                employment: None,
                name,
                phone_enc: cipher.encrypt("phone", &mobile(rng)),
                at,
            });
        }
        for h in 0..per_village {
            let id = first_household_id + out.households.len() as i64;
            let region =
                village.neighbors[rng.gen_range(0..village.neighbors.len().max(1))].clone();
            out.households.push(HouseholdOut {
                id,
                household_no: format!("{}{:04}", village.code, h + 1),
                region_code: region.clone(),
                address: format!(
                    "{}{}{}组{}号",
                    village.township_name,
                    village.short,
                    rng.gen_range(1..=12),
                    rng.gen_range(1..=120)
                ),
                at,
            });
            let head_year = rng.gen_range(1945..=1998);
            let head_male = rng.gen_bool(0.8);
            let surname_of_head = pick(rng, SURNAMES);
            let mut members: Vec<(&'static str, Date, bool)> =
                vec![("head", birth(rng, head_year, today), head_male)];
            if rng.gen_bool(0.8) {
                let y = head_year + rng.gen_range(-4..=4);
                members.push(("spouse", birth(rng, y, today), !head_male));
            }
            for _ in 0..rng.gen_range(0..=3) {
                let male = rng.gen_bool(0.52);
                let rel = if male { "son" } else { "daughter" };
                let y = head_year + rng.gen_range(20..=38);
                members.push((rel, birth(rng, y, today), male));
            }
            if head_year > 1965 && rng.gen_bool(0.25) {
                let y = head_year - rng.gen_range(22..=32);
                let male = rng.gen_bool(0.4);
                members.push(("parent", birth(rng, y, today), male));
            }
            for (relation, b, male) in members {
                let (b, idn) = ids.issue(rng, county, &c.code6, b, male);
                // The head and the children share a surname.
                let name = if matches!(relation, "head" | "son" | "daughter") {
                    format!("{surname_of_head}{}", given_name(rng, male))
                } else {
                    person_name(rng, male)
                };
                let adult = age(b) >= 18;
                let phone = (adult && rng.gen_bool(0.85)).then(|| mobile(rng));
                out.residents.push(ResidentOut {
                    region_code: region.clone(),
                    name: name.clone(),
                    sex: if male { "male" } else { "female" },
                    birth_date: b.to_string(),
                    id_number_enc: cipher.encrypt("id_number", &idn),
                    id_number_hash: cipher.search_hash("id_number", &idn),
                    phone_enc: phone.as_ref().map(|p| cipher.encrypt("phone", p)),
                    phone_hash: phone.as_ref().map(|p| cipher.search_hash("phone", p)),
                    household_id: id,
                    relation,
                    at,
                });
                if adult {
                    adults.push(Person {
                        name,
                        id_number: idn,
                        phone,
                    });
                }
            }
        }
        out.adults.push((v, adults));
    }
    out
}
