//! The agent's sources together: each category goes to the source its
//! `[category.<name>]` table chose, and the rest to the default `[source]`.
//!
//! A partner can so keep its police incidents in SQLite and its tenancy exports as
//! JSON files, and move one category at a time.

use treiter_policies::Category;
use treiter_pseudonym::Pseudonym;

use super::{CategoryPlan, IndexReport, Source, SourceError, SourceRecord};

/// Sources by category.
pub struct RoutedSource {
    /// Category → its own source (from `[category.<name>]`).
    routes: Vec<(Category, Box<dyn Source>)>,
    /// The `[source]` table: every category without a route.
    default: Option<Box<dyn Source>>,
}

impl std::fmt::Debug for RoutedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl RoutedSource {
    /// Routes `routes`' categories to their sources and the rest to `default`.
    pub fn new(routes: Vec<(Category, Box<dyn Source>)>, default: Option<Box<dyn Source>>) -> Self {
        RoutedSource { routes, default }
    }

    /// The source that serves `category`, if any.
    fn source_for(&self, category: Category) -> Option<&dyn Source> {
        match self.routes.iter().find(|(c, _)| *c == category) {
            Some((_, source)) => Some(source.as_ref()),
            None => self.default.as_deref(),
        }
    }
}

impl Source for RoutedSource {
    fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .routes
            .iter()
            .map(|(c, s)| format!("{c}: {}", s.describe()))
            .collect();
        if let Some(default) = &self.default {
            parts.push(format!("other categories: {}", default.describe()));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join("; ")
        }
    }

    fn categories(&self) -> Vec<Category> {
        let mut out: Vec<Category> = Vec::new();
        for (category, source) in &self.routes {
            if source.categories().contains(category) {
                out.push(*category);
            }
        }
        if let Some(default) = &self.default {
            for category in default.categories() {
                if !self.routes.iter().any(|(c, _)| *c == category) && !out.contains(&category) {
                    out.push(category);
                }
            }
        }
        out.sort();
        out
    }

    fn knows(&self, subject: &Pseudonym, categories: &[Category]) -> Result<bool, SourceError> {
        for category in categories {
            if let Some(source) = self.source_for(*category)
                && source.knows(subject, std::slice::from_ref(category))?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// In the order of `categories`, as [`Source::knows`] asks: `None` as soon as the
    /// source of one cannot tell from memory.
    fn knows_remembered(
        &self,
        subjects: &[Pseudonym],
        categories: &[Category],
    ) -> Option<Vec<bool>> {
        let mut known = vec![false; subjects.len()];
        for category in categories {
            if let Some(source) = self.source_for(*category) {
                let hits = source.knows_remembered(subjects, std::slice::from_ref(category))?;
                for (known, hit) in known.iter_mut().zip(hits) {
                    *known |= hit;
                }
            }
        }
        Some(known)
    }

    fn records(
        &self,
        subject: &Pseudonym,
        categories: &[Category],
    ) -> Result<Vec<SourceRecord>, SourceError> {
        let mut out = Vec::new();
        for category in categories {
            if let Some(source) = self.source_for(*category) {
                out.extend(source.records(subject, std::slice::from_ref(category))?);
            }
        }
        Ok(out)
    }

    fn refresh(&self) -> Result<Vec<IndexReport>, SourceError> {
        let mut reports = Vec::new();
        for (_, source) in &self.routes {
            reports.extend(source.refresh()?);
        }
        if let Some(default) = &self.default {
            reports.extend(default.refresh()?);
        }
        Ok(reports)
    }

    fn plan(&self, category: Category) -> Option<CategoryPlan> {
        self.source_for(category)?.plan(category)
    }
}
