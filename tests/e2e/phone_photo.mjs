// A phone photo as citizens send it, made from a real camera photo of the fixtures: 4000×3000,
// about 6 MB (the fixture scaled up, with sensor-like noise so JPEG cannot shrink it), with the
// fixture's EXIF block (GPS position, camera make and model, times) put back in.
// Drawn by the headless chromium the test already runs; no image tool needed.
import fs from 'node:fs';

const WIDTH = 4000;
const HEIGHT = 3000;
export const PHONE_PHOTO_MIN_BYTES = 5 * 1024 * 1024;
export const PHONE_PHOTO_MAX_BYTES = 8 * 1024 * 1024;

//! The APP1 "Exif" segment of a JPEG (marker, length and body), or null.
function exifSegment(jpeg) {
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1];
    const length = jpeg.readUInt16BE(i + 2);
    if (marker === 0xe1 && jpeg.subarray(i + 4, i + 10).toString('latin1') === 'Exif\0\0') {
      return jpeg.subarray(i, i + 2 + length);
    }
    if (marker === 0xda) break;  // start of scan: no more header segments
    i += 2 + length;
  }
  return null;
}

//! `jpeg` with `segment` inserted after SOI and a leading APP0 (JFIF) segment.
function withSegment(jpeg, segment) {
  let at = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) at = 4 + jpeg.readUInt16BE(4);
  return Buffer.concat([jpeg.subarray(0, at), segment, jpeg.subarray(at)]);
}

export async function makePhonePhoto(browser, fixturePath, outPath) {
  const fixture = fs.readFileSync(fixturePath);
  const exif = exifSegment(fixture);
  if (!exif) throw new Error(`${fixturePath} has no EXIF segment`);
  const page = await browser.newPage();
  try {
    let jpeg = null;
    for (const [quality, noise] of [[0.92, 28], [0.95, 36], [0.85, 20], [0.97, 48]]) {
      const b64 = await page.evaluate(async ({ src, width, height, quality, noise }) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = width;
        canvas.height = height;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0, width, height);
        const data = ctx.getImageData(0, 0, width, height);
        let seed = 12345;
        for (let i = 0; i < data.data.length; i += 4) {
          for (let c = 0; c < 3; c++) {
            seed = (seed * 1103515245 + 12345) >>> 0;
            data.data[i + c] += ((seed >>> 16) % (2 * noise + 1)) - noise;
          }
        }
        ctx.putImageData(data, 0, 0);
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
      }, { src: `data:image/jpeg;base64,${fixture.toString('base64')}`, width: WIDTH, height: HEIGHT, quality, noise });
      jpeg = withSegment(Buffer.from(b64, 'base64'), exif);
      if (jpeg.length >= PHONE_PHOTO_MIN_BYTES && jpeg.length <= PHONE_PHOTO_MAX_BYTES) break;
    }
    fs.writeFileSync(outPath, jpeg);
    return { bytes: jpeg.length, width: WIDTH, height: HEIGHT };
  } finally {
    await page.close();
  }
}

//! Identifying tags exiftool reads from `file` (GPS, make, model, dates, serials, software...),
//! outside exiftool's own groups; the same rule as tests/support/privacy_checks.cpp.
export function identifyingTags(execFileSync, file) {
  const out = execFileSync('exiftool', ['-a', '-G1', '-s', file], { encoding: 'utf8' });
  const found = [];
  for (const line of out.split('\n')) {
    const m = /^\[([^\]]+)\]\s+(\S+)\s*:/.exec(line);
    if (!m) continue;
    const [, group, tag] = m;
    if (['ExifTool', 'System', 'File', 'Composite'].includes(group)) continue;
    const encoder = ['JFIF', 'PNG', 'RIFF', 'VP8', 'VP8L', 'VP8X'].includes(group);
    if (!encoder || /GPS|Make|Model|Date|Time|Serial|Owner|Artist|Copyright|Software|Comment|Thumbnail|XMP|IPTC|Lens/i.test(tag)) {
      found.push(`[${group}] ${tag}`);
    }
  }
  return found;
}
