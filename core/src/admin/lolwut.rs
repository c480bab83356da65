//! LOLWUT [VERSION v] [...]: a little generative art, then the server version, the way Redis
//! 7.0 lays its output out. Redis picks the art from the version string "<v>.0.0": version 5
//! draws Georg Nees's "Schotter" (a column of squares that fall into disorder further down)
//! in Unicode braille dots, version 6 a city skyline in the four gray levels of an ANSI
//! terminal; any other version, and LOLWUT without VERSION, prints only the version line.
//! Both pictures are random, as in Redis; the text around them is Redis's.

use super::hello::REDIS_VERSION;
use crate::command::{errors, Ctx, Handler};

/// The LOLWUT command.
pub const COMMANDS: &[(&str, Handler)] = &[("lolwut", lolwut)];

/// Version 5's caption (the version and a newline follow).
const SCHOTTER_CAPTION: &str = "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ";
/// Version 6's caption (the version and a newline follow).
const SKYLINE_CAPTION: &str = "\nDedicated to the 8 bit game developers of past and present.\n\
Original 8 bit image from Plaguemon by hikikomori. Redis ver. ";

/// The tallest Schotter canvas lode draws, in pixels. Redis's limits allow canvases of
/// hundreds of millions of pixels (1000 columns, one square per row, 200 rows); lode clips the
/// drawing there instead, so one command can't claim gigabytes. The defaults use 136 rows.
const MAX_CANVAS_HEIGHT: usize = 8192;

fn lolwut(ctx: &mut Ctx) {
    let mut version = None;
    if ctx.args.len() >= 3 && ctx.arg(1).eq_ignore_ascii_case(b"version") {
        let Some(v) = crate::util::num::parse_i64(ctx.arg(2)) else {
            return ctx.error(errors::NOT_INT);
        };
        // Redis formats the number as a C unsigned int.
        version = Some(v as u32);
    }
    // The picture's own arguments follow VERSION v; each is read only if the picture uses it.
    let params = &ctx.args[3.min(ctx.args.len())..];
    let mut nums = [0i64; 3];
    let wanted = match version {
        Some(5) => 3,
        Some(6) => 2,
        _ => 0,
    };
    for (slot, arg) in nums.iter_mut().zip(params).take(wanted) {
        let Some(n) = crate::util::num::parse_i64(arg) else {
            return ctx.error(errors::NOT_INT);
        };
        *slot = n;
    }
    let given = params.len().min(wanted);
    let param = |i: usize, default: i64, max: i64| {
        let v = if i < given { nums[i] } else { default };
        v.clamp(1, max) as usize
    };
    let mut text = match version {
        Some(5) => {
            let mut rng = ctx.server.rng.lock().fork();
            let canvas = schotter(
                param(0, 66, 1000),
                param(1, 8, 200),
                param(2, 12, 200),
                &mut rng,
            );
            let mut t = canvas.braille();
            t.push_str(SCHOTTER_CAPTION);
            t
        }
        Some(6) => {
            let mut rng = ctx.server.rng.lock().fork();
            let canvas = skyline(param(0, 80, 1000), param(1, 20, 1000), &mut rng);
            let mut t = canvas.ansi_gray();
            t.push_str(SKYLINE_CAPTION);
            t
        }
        _ => "Redis ver. ".to_string(),
    };
    text.push_str(REDIS_VERSION);
    text.push('\n');
    ctx.out.verbatim(b"txt", text.as_bytes());
}

/// A grid of pixels, each 0..=3 (0 = background for braille, black for the gray levels).
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize, fill: u8) -> Self {
        Canvas {
            width,
            height,
            pixels: vec![fill; width * height],
        }
    }

    fn get(&self, x: usize, y: usize) -> u8 {
        if x < self.width && y < self.height {
            self.pixels[y * self.width + x]
        } else {
            0
        }
    }

    /// Sets a pixel; points off the canvas are ignored.
    fn set(&mut self, x: i64, y: i64, color: u8) {
        if (0..self.width as i64).contains(&x) && (0..self.height as i64).contains(&y) {
            self.pixels[y as usize * self.width + x as usize] = color;
        }
    }

    /// A straight line from `a` to `b`, both ends included (Bresenham's algorithm).
    fn line(&mut self, a: (i64, i64), b: (i64, i64), color: u8) {
        let (mut x, mut y) = a;
        let (dx, dy) = ((b.0 - x).abs(), -(b.1 - y).abs());
        let (step_x, step_y) = ((b.0 - x).signum(), (b.1 - y).signum());
        let mut err = dx + dy;
        loop {
            self.set(x, y, color);
            if (x, y) == b {
                break;
            }
            let twice = 2 * err;
            if twice >= dy {
                err += dy;
                x += step_x;
            }
            if twice <= dx {
                err += dx;
                y += step_y;
            }
        }
    }

    fn fill_rect(&mut self, x0: usize, y0: usize, w: usize, h: usize, color: u8) {
        for y in y0..(y0 + h).min(self.height) {
            for x in x0..(x0 + w).min(self.width) {
                self.pixels[y * self.width + x] = color;
            }
        }
    }

    /// One braille character per 2x4 block of pixels (a set pixel is a raised dot), one text
    /// line per 4 pixel rows, each ended by a newline (as Redis does, unless the canvas height
    /// is one more than a multiple of four).
    fn braille(&self) -> String {
        // Dot bits of a braille cell, by (column, row) within the 2x4 block.
        const DOTS: [[u32; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
        let mut s = String::with_capacity((self.width / 2 + 1) * 3 * (self.height / 4 + 1));
        for y in (0..self.height).step_by(4) {
            for x in (0..self.width).step_by(2) {
                let mut bits = 0;
                for (dx, col) in DOTS.iter().enumerate() {
                    for (dy, bit) in col.iter().enumerate() {
                        if self.get(x + dx, y + dy) != 0 {
                            bits |= bit;
                        }
                    }
                }
                s.push(char::from_u32(0x2800 + bits).unwrap_or(' '));
            }
            if y + 1 != self.height {
                s.push('\n');
            }
        }
        s
    }

    /// Every pixel as a space in one of the terminal's four grays (black, dark gray, light
    /// gray, white), rows separated by newlines.
    fn ansi_gray(&self) -> String {
        const GRAYS: [&str; 4] = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];
        let mut s = String::with_capacity(self.width * self.height * 18);
        for y in 0..self.height {
            for x in 0..self.width {
                let gray = GRAYS.get(usize::from(self.get(x, y))).unwrap_or(&GRAYS[0]);
                s.push_str("\x1b[");
                s.push_str(gray);
                s.push_str(" \x1b[0m");
            }
            if y + 1 != self.height {
                s.push('\n');
            }
        }
        s
    }
}

/// Schotter: `per_row` squares across a canvas `cols` characters wide (two pixels each), in
/// `per_col` rows. The first two rows stand straight; below them each square is turned and
/// shifted at random, more the further down it is.
fn schotter(cols: usize, per_row: usize, per_col: usize, rng: &mut fastrand::Rng) -> Canvas {
    let width = cols * 2;
    let margin = if width > 4 { 2 } else { 0 };
    let side = (width - margin * 2) as f32 / per_row as f32;
    let height = ((side * per_col as f32) as usize + margin * 2).min(MAX_CANVAS_HEIGHT);
    let mut canvas = Canvas::new(width, height, 0);
    for row in 0..per_col {
        for col in 0..per_row {
            let mut cx = (col as f32 * side + side / 2.0 + margin as f32) as i64;
            let mut cy = (row as f32 * side + side / 2.0 + margin as f32) as i64;
            let mut turn = 0.0;
            if row > 1 {
                let disorder = row as f32 / per_col as f32;
                let mut jitter = || {
                    let r = rng.f32() * disorder;
                    if rng.bool() {
                        -r
                    } else {
                        r
                    }
                };
                turn = jitter();
                cx = (cx as f32 + jitter() * side / 3.0) as i64;
                cy = (cy as f32 + jitter() * side / 3.0) as i64;
            }
            square(&mut canvas, (cx, cy), side, turn);
        }
    }
    canvas
}

/// The outline of a square of side `side` centred on `c`, turned by `turn` radians.
fn square(canvas: &mut Canvas, c: (i64, i64), side: f32, turn: f32) {
    // The corners lie on a circle whose radius is half the diagonal.
    let radius = (side / std::f32::consts::SQRT_2).round();
    let corner = |i: usize| {
        let a = std::f32::consts::FRAC_PI_4 + turn + i as f32 * std::f32::consts::FRAC_PI_2;
        (
            (a.sin() * radius + c.0 as f32).round() as i64,
            (a.cos() * radius + c.1 as f32).round() as i64,
        )
    };
    for i in 0..4 {
        canvas.line(corner(i), corner((i + 1) % 4), 1);
    }
}

/// A city at night under a pale sky: three rows of buildings, the farthest lightest, the
/// nearest black with lit windows.
fn skyline(cols: usize, rows: usize, rng: &mut fastrand::Rng) -> Canvas {
    let mut canvas = Canvas::new(cols, rows, 3);
    for (layer, color) in [2u8, 1, 0].into_iter().enumerate() {
        // Nearer buildings are lower and wider.
        let tallest = rows * (4 - layer) / 5;
        let mut x = 0;
        while x < cols {
            let w = 3 + rng.usize(..(4 + layer * 2));
            let h = rows / 6 + rng.usize(..tallest.max(1));
            let top = rows.saturating_sub(h);
            canvas.fill_rect(x, top, w, h, color);
            if color == 0 {
                // Lit windows, every other pixel, in some of the floors.
                for wy in (top + 1..rows.saturating_sub(1)).step_by(2) {
                    for wx in (x + 1..(x + w).saturating_sub(1)).step_by(2) {
                        if rng.u8(..3) == 0 {
                            canvas.set(wx as i64, wy as i64, 3);
                        }
                    }
                }
            }
            x += w + rng.usize(..(2 + layer));
        }
    }
    canvas
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    /// The text of a RESP2 bulk reply.
    fn text(reply: &str) -> &str {
        let start = reply.find("\r\n").map_or(0, |i| i + 2);
        reply[start..].strip_suffix("\r\n").unwrap_or("")
    }

    #[test]
    fn lolwut_versions() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["LOLWUT"]), "$18\r\nRedis ver. 7.0.15\n\r\n");
        assert_eq!(c.cmd(&["LOLWUT", "foo"]), "$18\r\nRedis ver. 7.0.15\n\r\n");
        assert_eq!(
            c.cmd(&["LOLWUT", "VERSION", "5", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            c.cmd(&["LOLWUT", "VERSION", "1"]),
            "$18\r\nRedis ver. 7.0.15\n\r\n"
        );
        assert_eq!(
            c.cmd(&["LOLWUT", "VERSION", "7", "x"]),
            "$18\r\nRedis ver. 7.0.15\n\r\n"
        );
        assert_eq!(
            c.cmd(&["LOLWUT", "VERSION", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        // Arguments past the ones a picture reads are ignored, as in Redis.
        let v5 = c.cmd(&["LOLWUT", "VERSION", "5", "10", "2", "3", "x"]);
        assert!(v5.ends_with("\r\n"), "{v5}");
        let v6 = c.cmd(&["lolwut", "version", "6"]);
        assert!(
            text(&v6).ends_with(
                "\nDedicated to the 8 bit game developers of past and present.\n\
                 Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n"
            ),
            "{v6}"
        );
        // 80 columns by 20 rows, one colored space per pixel.
        assert_eq!(text(&v6).matches(" \x1b[0m").count(), 80 * 20);
        // VERSION is read as a C unsigned int: 2^32 + 5 is 5.
        let wrapped = c.cmd(&["LOLWUT", "VERSION", "4294967301", "1", "1", "1"]);
        assert!(text(&wrapped).contains("Georg Nees"), "{wrapped}");
    }

    #[test]
    fn schotter_in_braille() {
        // server.case "LOLWUT": LOLWUT VERSION 5 1 1 1 ends with Nees's caption.
        let srv = server();
        let mut c = TestClient::new(&srv);
        let r = c.cmd(&["LOLWUT", "VERSION", "5", "1", "1", "1"]);
        let t = text(&r);
        assert!(
            t.ends_with("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n"),
            "{t:?}"
        );
        // One column is two pixels wide: a single braille character per line.
        let art = t.split("\nGeorg").next().unwrap_or("");
        assert!(art.lines().all(|l| l.chars().count() == 1), "{art:?}");
        // The default picture: 66 columns, 8 squares by 12, every line 66 characters wide.
        let r = c.cmd(&["LOLWUT", "VERSION", "5"]);
        let t = text(&r);
        let art = t.split("\nGeorg").next().unwrap_or("");
        let lines: Vec<&str> = art.lines().collect();
        // Canvas: 132 x (16 * 12 + 4) pixels, four pixel rows per line.
        assert_eq!(lines.len(), 49);
        assert!(lines.iter().all(|l| l.chars().count() == 66));
        assert!(art
            .chars()
            .all(|ch| ch == '\n' || ('\u{2800}'..='\u{28ff}').contains(&ch)));
        // The top row of squares stands straight: their top edges are full lines of dots.
        assert!(lines[0].chars().any(|ch| ch != '\u{2800}'));
    }

    #[test]
    fn huge_schotter_is_clipped() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let r = c.cmd(&["LOLWUT", "VERSION", "5", "1000", "1", "200"]);
        assert!(r.len() < 8_000_000, "{}", r.len());
        assert!(text(&r).ends_with("Redis ver. 7.0.15\n"));
    }
}
