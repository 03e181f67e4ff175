//! The case catalogue: two-level categories and source channels, loaded from TOML so a
//! deployment can replace them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::FieldError;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    /// Second-level categories; cases take one of these ids.
    #[serde(default)]
    #[schema(no_recursion)]
    pub children: Vec<Category>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(rename = "source")]
    pub sources: Vec<Source>,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

const DEFAULT: &str = include_str!("../../../data/catalogue/default.toml");

impl Catalogue {
    pub fn from_toml(text: &str) -> Result<Self, FieldError> {
        let c: Catalogue = toml::from_str(text)
            .map_err(|e| FieldError::new("catalogue", "catalogue_invalid", e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        let ids = c.sources.iter().map(|s| &s.id).chain(
            c.categories
                .iter()
                .flat_map(|p| std::iter::once(&p.id).chain(p.children.iter().map(|k| &k.id))),
        );
        for id in ids {
            if !seen.insert(id.clone()) {
                return Err(FieldError::new(
                    "catalogue",
                    "catalogue_invalid",
                    format!("duplicate id {id}"),
                ));
            }
        }
        for p in &c.categories {
            if p.children.is_empty() {
                return Err(FieldError::new(
                    "catalogue",
                    "catalogue_invalid",
                    format!("category {} has no second-level categories", p.id),
                ));
            }
        }
        Ok(c)
    }

    pub fn defaults() -> Self {
        match Self::from_toml(DEFAULT) {
            Ok(c) => c,
            Err(e) => panic!("shipped catalogue is invalid: {e}"),
        }
    }

    /// A second-level category by id, with its parent.
    pub fn category(&self, id: &str) -> Option<(&Category, &Category)> {
        self.categories
            .iter()
            .find_map(|p| p.children.iter().find(|c| c.id == id).map(|c| (p, c)))
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    pub fn leaf_categories(&self) -> impl Iterator<Item = (&Category, &Category)> {
        self.categories
            .iter()
            .flat_map(|p| p.children.iter().map(move |c| (p, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_resolve() {
        let c = Catalogue::defaults();
        let (parent, leaf) = c.category("facilities.hydrant").unwrap();
        assert_eq!(
            (parent.name.as_str(), leaf.name.as_str()),
            ("公共设施", "消防栓（压力不足、损坏）")
        );
        assert!(
            c.category("facilities").is_none(),
            "cases take second-level categories"
        );
        assert_eq!(c.source("hotline_12345").unwrap().name, "12345热线");
        assert!(c.leaf_categories().count() > 30);
    }

    #[test]
    fn refuses_duplicates_and_empty_parents() {
        let dup = "[[source]]\nid='a'\nname='A'\n[[source]]\nid='a'\nname='B'\n[[category]]\nid='x'\nname='X'\nchildren=[{id='x.y',name='Y'}]";
        assert!(Catalogue::from_toml(dup)
            .unwrap_err()
            .message
            .contains("duplicate id a"));
        let empty = "[[source]]\nid='a'\nname='A'\n[[category]]\nid='x'\nname='X'";
        assert!(Catalogue::from_toml(empty).is_err());
    }
}
