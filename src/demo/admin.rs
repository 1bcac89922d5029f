//! Admin units: villages as cells of a jittered lattice, townships as blocks of cells,
//! the county as the whole. Neighbouring cells share their edge polylines, so the units
//! tile the county with no gaps and no overlaps, as real admin layers should.

use super::names::{NamePool, person, phone};
use super::terrain::{P, Terrain};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Villages per township block, across and up.
pub const BLOCK: (usize, usize) = (4, 3);
/// Fictional prefecture 99 of province 62: six digits no real county uses.
pub const COUNTY_CODE: &str = "629901";

#[derive(Debug, Clone)]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone)]
pub struct Village {
    pub code: String,
    pub name: String,
    pub township: usize,
    pub centre: P,
    pub ring: Vec<P>,
    pub contact: Contact,
}

#[derive(Debug, Clone)]
pub struct Township {
    pub code: String,
    pub name: String,
    pub ring: Vec<P>,
    /// Index of the seat village (lowest, nearest the river).
    pub seat: usize,
    pub contact: Contact,
}

#[derive(Debug, Clone)]
pub struct County {
    pub code: String,
    pub ring: Vec<P>,
    pub townships: Vec<Township>,
    pub villages: Vec<Village>,
    pub contact: Contact,
    /// The village index of the county seat.
    pub seat: usize,
}

struct Lattice {
    nx: usize,
    ny: usize,
    /// Horizontal edges: (i, j) → (i+1, j), as polylines with both ends.
    h: Vec<Vec<Vec<P>>>,
    /// Vertical edges: (i, j) → (i, j+1).
    v: Vec<Vec<Vec<P>>>,
    vertex: Vec<Vec<P>>,
}

fn wiggly_edge(rng: &mut ChaCha8Rng, a: P, b: P, amplitude: f64) -> Vec<P> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let normal = [-dy / len, dx / len];
    let mut pts = vec![a];
    for k in 1..4 {
        let t = k as f64 / 4.0;
        let off = rng.random_range(-amplitude..amplitude);
        pts.push([
            a[0] + t * dx + off * normal[0],
            a[1] + t * dy + off * normal[1],
        ]);
    }
    pts.push(b);
    pts
}

impl Lattice {
    fn new(rng: &mut ChaCha8Rng, nx: usize, ny: usize, cell: (f64, f64)) -> Lattice {
        let vertex: Vec<Vec<P>> = (0..=nx)
            .map(|i| {
                (0..=ny)
                    .map(|j| {
                        let jx = if i == 0 || i == nx {
                            0.0
                        } else {
                            rng.random_range(-0.22..0.22) * cell.0
                        };
                        let jy = if j == 0 || j == ny {
                            0.0
                        } else {
                            rng.random_range(-0.22..0.22) * cell.1
                        };
                        [i as f64 * cell.0 + jx, j as f64 * cell.1 + jy]
                    })
                    .collect()
            })
            .collect();
        let amp = 0.06 * cell.0.min(cell.1);
        let h = (0..nx)
            .map(|i| {
                (0..=ny)
                    .map(|j| wiggly_edge(rng, vertex[i][j], vertex[i + 1][j], amp))
                    .collect()
            })
            .collect();
        let v = (0..=nx)
            .map(|i| {
                (0..ny)
                    .map(|j| wiggly_edge(rng, vertex[i][j], vertex[i][j + 1], amp))
                    .collect()
            })
            .collect();
        Lattice {
            nx,
            ny,
            h,
            v,
            vertex,
        }
    }

    /// The boundary of cells `[i0, i1) × [j0, j1)`, anticlockwise, closed.
    fn block_ring(&self, i0: usize, i1: usize, j0: usize, j1: usize) -> Vec<P> {
        let mut ring: Vec<P> = Vec::new();
        let mut append = |pts: &mut dyn Iterator<Item = P>| {
            for p in pts {
                if ring.last() != Some(&p) {
                    ring.push(p);
                }
            }
        };
        for i in i0..i1 {
            append(&mut self.h[i][j0].iter().copied());
        }
        for j in j0..j1 {
            append(&mut self.v[i1][j].iter().copied());
        }
        for i in (i0..i1).rev() {
            append(&mut self.h[i][j1].iter().rev().copied());
        }
        for j in (j0..j1).rev() {
            append(&mut self.v[i0][j].iter().rev().copied());
        }
        ring
    }

    /// A point inside cell (i, j) by bilinear interpolation of its corners.
    fn inside(&self, i: usize, j: usize, u: f64, w: f64) -> P {
        let (a, b, c, d) = (
            self.vertex[i][j],
            self.vertex[i + 1][j],
            self.vertex[i + 1][j + 1],
            self.vertex[i][j + 1],
        );
        let lerp = |p: P, q: P, t: f64| [p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t];
        lerp(lerp(a, b, u), lerp(d, c, u), w)
    }
}

/// Builds the county: `nx × ny` village cells of `cell` metres, in township blocks.
pub fn build(
    rng: &mut ChaCha8Rng,
    terrain: &Terrain,
    nx: usize,
    ny: usize,
    cell: (f64, f64),
) -> County {
    let lattice = Lattice::new(rng, nx, ny, cell);
    let mut draw = Drawing {
        rng,
        terrain,
        lattice: &lattice,
        names: NamePool::new(),
    };
    let (bx, by) = (nx / BLOCK.0, ny / BLOCK.1);
    let mut townships = Vec::with_capacity(bx * by);
    let mut villages = Vec::with_capacity(nx * ny);
    for tj in 0..by {
        for ti in 0..bx {
            let township = draw.township(ti, tj, townships.len(), &mut villages);
            townships.push(township);
        }
    }
    let seat = county_seat(terrain, &townships, &villages);
    County {
        code: format!("{COUNTY_CODE}000000"),
        ring: lattice.block_ring(0, lattice.nx, 0, lattice.ny),
        townships,
        villages,
        contact: contact(draw.rng),
        seat,
    }
}

/// What the units are drawn with: the seeded stream, the ground, the cells, and the
/// names not yet given.
struct Drawing<'a> {
    rng: &'a mut ChaCha8Rng,
    terrain: &'a Terrain,
    lattice: &'a Lattice,
    names: NamePool,
}

impl Drawing<'_> {
    /// Township number `t`, the block of cells at (`ti`, `tj`); its villages are appended
    /// to `villages`.
    fn township(
        &mut self,
        ti: usize,
        tj: usize,
        t: usize,
        villages: &mut Vec<Village>,
    ) -> Township {
        let stem = self.names.stem(self.rng);
        let suffix = if self.rng.random_bool(0.6) {
            "镇"
        } else {
            "乡"
        };
        let code = format!("{COUNTY_CODE}{:03}000", 100 + t);
        let first_village = villages.len();
        for dj in 0..BLOCK.1 {
            for di in 0..BLOCK.0 {
                let (i, j) = (ti * BLOCK.0 + di, tj * BLOCK.1 + dj);
                let village = self.village(i, j, t, villages.len() - first_village);
                villages.push(village);
            }
        }
        let seat = (first_village..villages.len())
            .min_by(|&a, &b| {
                self.terrain
                    .elevation(villages[a].centre)
                    .total_cmp(&self.terrain.elevation(villages[b].centre))
            })
            .expect("a block has villages");
        Township {
            code,
            name: format!("{stem}{suffix}"),
            ring: self.lattice.block_ring(
                ti * BLOCK.0,
                (ti + 1) * BLOCK.0,
                tj * BLOCK.1,
                (tj + 1) * BLOCK.1,
            ),
            seat,
            contact: contact(self.rng),
        }
    }

    /// The village of cell (`i`, `j`), the `n`th of township `t`.
    fn village(&mut self, i: usize, j: usize, t: usize, n: usize) -> Village {
        // Villages sit low: the lowest of a few candidate spots in the cell.
        let centre = (0..6)
            .map(|_| {
                self.lattice.inside(
                    i,
                    j,
                    self.rng.random_range(0.3..0.7),
                    self.rng.random_range(0.3..0.7),
                )
            })
            .min_by(|a, b| {
                self.terrain
                    .elevation(*a)
                    .total_cmp(&self.terrain.elevation(*b))
            })
            .expect("six candidates");
        Village {
            code: format!("{COUNTY_CODE}{:03}{:03}", 100 + t, 201 + n),
            name: format!("{}村", self.names.stem(self.rng)),
            township: t,
            centre,
            ring: self.lattice.block_ring(i, i + 1, j, j + 1),
            contact: contact(self.rng),
        }
    }
}

/// A fictional person in charge, and their phone.
fn contact(rng: &mut ChaCha8Rng) -> Contact {
    Contact {
        name: person(rng),
        phone: phone(rng),
    }
}

/// The county seat: of the township seats, the village nearest the middle of the county.
fn county_seat(terrain: &Terrain, townships: &[Township], villages: &[Village]) -> usize {
    let middle = [terrain.width_m / 2.0, terrain.height_m / 2.0];
    townships
        .iter()
        .map(|t| t.seat)
        .min_by(|&a, &b| {
            dist(villages[a].centre, middle).total_cmp(&dist(villages[b].centre, middle))
        })
        .expect("at least one township")
}

pub fn dist(a: P, b: P) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}
