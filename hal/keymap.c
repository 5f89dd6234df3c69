/* keymap: keystrokes to codes.  The rules are in keymap.h; this file holds
 * the layout tables and the state machine. */
#include "keymap.h"

#include <linux/input-event-codes.h>
#include <string.h>

/* HID keyboard usages (HID Usage Tables, page 0x07) that have a meaning of
 * their own here. */
enum {
    U_A = 0x04,
    U_ENTER = 0x28,
    U_TAB = 0x2B,
    U_SPACE = 0x2C,
    U_SLASH = 0x38,
    U_KP_SLASH = 0x54,
    U_KP_ENTER = 0x58,
    U_KP_1 = 0x59,
    U_KP_0 = 0x62,
    U_KP_DOT = 0x63,
    U_NONUS_BSLASH = 0x64,
};

/* Boot-report modifier bits. */
enum {
    M_LCTRL = 0x01,
    M_LSHIFT = 0x02,
    M_LALT = 0x04,
    M_LGUI = 0x08,
    M_RCTRL = 0x10,
    M_RSHIFT = 0x20,
    M_RALT = 0x40,
    M_RGUI = 0x80,
};

/* A layout layer is a string with one character per key: usages 0x04..0x38
 * (53 keys), then 0x64.  N marks a key that types nothing on that layer
 * (Enter, Esc, Backspace, Tab, and non-ASCII characters). */
#define N "\x7f"
#define NONE '\x7f'
#define KEYS 54
#define NONUS_INDEX 53

enum { PLAIN, SHIFT, ALTGR, LAYERS };

struct tt_keymap_layout {
    const char *name;
    int altgr;                  /* Right Alt is AltGr, not an Alt for Alt codes */
    const char *layer[LAYERS];  /* KEYS characters each; NULL: no such layer */
    uint8_t dead[4][2];         /* {layer, usage} of dead keys; usage 0 ends */
};

/* Layer strings, checked for length below.  Letters a..z, digits 1..0,
 * Enter/Esc/Backspace/Tab, then the 13 keys from Space to '/', then the
 * ISO key next to left Shift (0x64). */
#define US_PLAIN "abcdefghijklmnopqrstuvwxyz" "1234567890" N N N N " -=[]\\\\;'`,./" "\\"
#define US_SHIFT "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "!@#$%^&*()" N N N N " _+{}||:\"~<>?" "|"
#define UK_PLAIN "abcdefghijklmnopqrstuvwxyz" "1234567890" N N N N " -=[]##;'`,./" "\\"
#define UK_SHIFT "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "!\"" N "$%^&*()" N N N N " _+{}~~:@" N "<>?" "|"
#define DE_PLAIN "abcdefghijklmnopqrstuvwxzy" "1234567890" N N N N \
                 " " N N N "+##" N N "^,.-" "<"
#define DE_SHIFT "ABCDEFGHIJKLMNOPQRSTUVWXZY" "!\"" N "$%&/()=" N N N N \
                 " ?`" N "*''" N N N ";:_" ">"
#define DE_ALTGR N N N N N N N N N N N N N N N N "@" N N N N N N N N N \
                 N N N N N N "{[]}" N N N N \
                 N "\\" N N "~" N N N N N N N N "|"
#define FR_PLAIN "qbcdefghijkl,noparstuvzxyw" "&" N "\"'(-" N "_" N N N N N N \
                 " )=^$**m" N N ";:!" "<"
#define FR_SHIFT "QBCDEFGHIJKL?NOPARSTUVZXYW" "1234567890" N N N N \
                 " " N "+" N N N N "M%" N "./" N ">"
#define FR_ALTGR N N N N N N N N N N N N N N N N N N N N N N N N N N \
                 N "~#{[|`\\^@" N N N N \
                 N "]}" N N N N N N N N N N N

#define CHECK(s) _Static_assert(sizeof(s) == KEYS + 1, #s " must have one character per key")
CHECK(US_PLAIN);
CHECK(US_SHIFT);
CHECK(UK_PLAIN);
CHECK(UK_SHIFT);
CHECK(DE_PLAIN);
CHECK(DE_SHIFT);
CHECK(DE_ALTGR);
CHECK(FR_PLAIN);
CHECK(FR_SHIFT);
CHECK(FR_ALTGR);

/* "us" comes first: Ctrl combinations are resolved on it. */
static const tt_keymap_layout_t layouts[] = {
    {"us", 0, {US_PLAIN, US_SHIFT, NULL}, {{0, 0}}},
    {"uk", 0, {UK_PLAIN, UK_SHIFT, NULL}, {{0, 0}}},
    {"de", 1, {DE_PLAIN, DE_SHIFT, DE_ALTGR}, {{PLAIN, 0x35}, {SHIFT, 0x2E}, {0, 0}}},
    {"fr", 1, {FR_PLAIN, FR_SHIFT, FR_ALTGR}, {{PLAIN, 0x2F}, {0, 0}}},
};

#define NLAYOUTS (sizeof layouts / sizeof layouts[0])

/* Linux KEY_* codes to HID usages, for the keys a scanner types.  Modifier
 * keys are handled apart (linux_mod). */
/* Sized by its largest index, KEY_KPSLASH. */
static const uint8_t linux_usage[KEY_KPSLASH + 1] = {
    [KEY_A] = 0x04, [KEY_B] = 0x05, [KEY_C] = 0x06, [KEY_D] = 0x07, [KEY_E] = 0x08,
    [KEY_F] = 0x09, [KEY_G] = 0x0A, [KEY_H] = 0x0B, [KEY_I] = 0x0C, [KEY_J] = 0x0D,
    [KEY_K] = 0x0E, [KEY_L] = 0x0F, [KEY_M] = 0x10, [KEY_N] = 0x11, [KEY_O] = 0x12,
    [KEY_P] = 0x13, [KEY_Q] = 0x14, [KEY_R] = 0x15, [KEY_S] = 0x16, [KEY_T] = 0x17,
    [KEY_U] = 0x18, [KEY_V] = 0x19, [KEY_W] = 0x1A, [KEY_X] = 0x1B, [KEY_Y] = 0x1C,
    [KEY_Z] = 0x1D,
    [KEY_1] = 0x1E, [KEY_2] = 0x1F, [KEY_3] = 0x20, [KEY_4] = 0x21, [KEY_5] = 0x22,
    [KEY_6] = 0x23, [KEY_7] = 0x24, [KEY_8] = 0x25, [KEY_9] = 0x26, [KEY_0] = 0x27,
    [KEY_ENTER] = 0x28, [KEY_ESC] = 0x29, [KEY_BACKSPACE] = 0x2A, [KEY_TAB] = 0x2B,
    [KEY_SPACE] = 0x2C, [KEY_MINUS] = 0x2D, [KEY_EQUAL] = 0x2E, [KEY_LEFTBRACE] = 0x2F,
    [KEY_RIGHTBRACE] = 0x30, [KEY_BACKSLASH] = 0x31, [KEY_SEMICOLON] = 0x33,
    [KEY_APOSTROPHE] = 0x34, [KEY_GRAVE] = 0x35, [KEY_COMMA] = 0x36, [KEY_DOT] = 0x37,
    [KEY_SLASH] = 0x38, [KEY_102ND] = 0x64,
    [KEY_KPSLASH] = 0x54, [KEY_KPASTERISK] = 0x55, [KEY_KPMINUS] = 0x56,
    [KEY_KPPLUS] = 0x57, [KEY_KPENTER] = 0x58,
    [KEY_KP1] = 0x59, [KEY_KP2] = 0x5A, [KEY_KP3] = 0x5B, [KEY_KP4] = 0x5C,
    [KEY_KP5] = 0x5D, [KEY_KP6] = 0x5E, [KEY_KP7] = 0x5F, [KEY_KP8] = 0x60,
    [KEY_KP9] = 0x61, [KEY_KP0] = 0x62, [KEY_KPDOT] = 0x63,
};

static uint8_t linux_mod(unsigned code)
{
    switch (code) {
    case KEY_LEFTCTRL: return M_LCTRL;
    case KEY_LEFTSHIFT: return M_LSHIFT;
    case KEY_LEFTALT: return M_LALT;
    case KEY_LEFTMETA: return M_LGUI;
    case KEY_RIGHTCTRL: return M_RCTRL;
    case KEY_RIGHTSHIFT: return M_RSHIFT;
    case KEY_RIGHTALT: return M_RALT;
    case KEY_RIGHTMETA: return M_RGUI;
    default: return 0;
    }
}

static const tt_keymap_layout_t *find_layout(const char *name)
{
    if (!name || !name[0])
        name = "us";
    for (size_t i = 0; i < NLAYOUTS; i++)
        if (strcmp(layouts[i].name, name) == 0)
            return &layouts[i];
    return NULL;
}

int tt_keymap_known(const char *layout)
{
    return find_layout(layout) != NULL;
}

tt_err_t tt_keymap_init(tt_keymap_t *km, const char *layout)
{
    const tt_keymap_layout_t *l = find_layout(layout);

    memset(km, 0, sizeof *km);
    if (!l)
        return TT_ERR_INVAL;
    km->layout = l;
    return TT_OK;
}

/* Index of `usage` in a layer string, or -1 for keys outside the tables. */
static int key_index(uint8_t usage)
{
    if (usage >= U_A && usage <= U_SLASH)
        return usage - U_A;
    if (usage == U_NONUS_BSLASH)
        return NONUS_INDEX;
    return -1;
}

/* Control characters a code may carry: EOT and FS, GS, RS, US (ISO/IEC 15434
 * and GS1 use them); the others would only confuse the decoder upstream. */
static int control_kept(unsigned c)
{
    return c == 0x04 || (c >= 0x1C && c <= 0x1F);
}

/* The Alt keys that build Alt codes: both, unless Right Alt is AltGr. */
static uint8_t alt_mask(const tt_keymap_t *km)
{
    return km->layout->altgr ? M_LALT : (M_LALT | M_RALT);
}

static int is_dead(const tt_keymap_layout_t *l, int layer, uint8_t usage)
{
    for (size_t i = 0; i < sizeof l->dead / sizeof l->dead[0] && l->dead[i][1]; i++)
        if (l->dead[i][0] == layer && l->dead[i][1] == usage)
            return 1;
    return 0;
}

void tt_keymap_put(tt_keymap_t *km, char c, int64_t now_ms)
{
    if (c == '\0')
        return;
    km->last_ms = now_ms;
    if (km->cur_overflow)
        return;
    if (km->cur_len + 1 >= sizeof km->cur) {
        km->cur_overflow = 1;
        return;
    }
    km->cur[km->cur_len++] = c;
}

static void drop_partial(tt_keymap_t *km)
{
    km->cur_len = 0;
    km->cur_overflow = 0;
    km->alt_digits = 0;
    km->alt_value = 0;
    km->dead = 0;
}

void tt_keymap_end(tt_keymap_t *km)
{
    char *slot;

    km->dead = 0;
    if (km->cur_len == 0 && !km->cur_overflow)
        return;
    if (km->count == TT_KEYMAP_QUEUE) {
        km->dropped++;
    } else {
        slot = km->queue[(km->head + km->count) % TT_KEYMAP_QUEUE];
        /* An over-long code is queued as an empty entry: read reports it. */
        if (km->cur_overflow)
            slot[0] = '\0';
        else {
            memcpy(slot, km->cur, km->cur_len);
            slot[km->cur_len] = '\0';
        }
        km->count++;
    }
    km->cur_len = 0;
    km->cur_overflow = 0;
}

/* Alt went up: an Alt code typed on the keypad becomes its character. */
static void alt_release(tt_keymap_t *km, int64_t now_ms)
{
    unsigned v = km->alt_value % 256;   /* as Windows does for values > 255 */

    if (km->alt_digits > 0 && ((v >= 32 && v <= 126) || control_kept(v)))
        tt_keymap_put(km, (char)v, now_ms);
    km->alt_digits = 0;
    km->alt_value = 0;
}

static void set_mods(tt_keymap_t *km, uint8_t mods, int64_t now_ms)
{
    uint8_t alt = alt_mask(km);

    if ((km->mods & alt) && !(mods & alt))
        alt_release(km, now_ms);
    else if (!(km->mods & alt) && (mods & alt)) {
        km->alt_digits = 0;
        km->alt_value = 0;
    }
    km->mods = mods;
}

/* The character of a keypad key without Alt, or 0. */
static char keypad_char(uint8_t usage)
{
    static const char ops[] = "/*-+";

    if (usage >= U_KP_SLASH && usage < U_KP_ENTER)
        return ops[usage - U_KP_SLASH];
    if (usage >= U_KP_1 && usage <= U_KP_0)
        return usage == U_KP_0 ? '0' : (char)('1' + (usage - U_KP_1));
    if (usage == U_KP_DOT)
        return '.';
    return 0;
}

static void key_down(tt_keymap_t *km, uint8_t usage, int64_t now_ms)
{
    int shift = (km->mods & (M_LSHIFT | M_RSHIFT)) != 0, idx, layer, was_dead;
    char c;

    if (usage == U_ENTER || usage == U_KP_ENTER || usage == U_TAB) {
        tt_keymap_end(km);
        return;
    }
    if (km->mods & alt_mask(km)) {
        /* Only keypad digits count while Alt is held. */
        if (usage >= U_KP_1 && usage <= U_KP_0) {
            km->alt_value = (km->alt_value * 10 + (unsigned)(keypad_char(usage) - '0')) % 100000;
            km->alt_digits++;
            km->last_ms = now_ms;
        }
        return;
    }
    idx = key_index(usage);
    if (km->mods & (M_LCTRL | M_RCTRL)) {
        unsigned cc;
        if (idx < 0)
            return;
        /* Resolved on the US position: see keymap.h. */
        cc = (unsigned char)layouts[0].layer[shift ? SHIFT : PLAIN][idx];
        if ((cc >= '@' && cc <= '_') || (cc >= 'a' && cc <= 'z')) {
            cc &= 0x1F;
            if (control_kept(cc))
                tt_keymap_put(km, (char)cc, now_ms);
        }
        km->dead = 0;
        return;
    }
    c = keypad_char(usage);
    if (c) {
        km->dead = 0;
        tt_keymap_put(km, c, now_ms);
        return;
    }
    if (idx < 0)
        return;
    layer = km->layout->altgr && (km->mods & M_RALT) ? ALTGR : shift ? SHIFT : PLAIN;
    c = km->layout->layer[layer] ? km->layout->layer[layer][idx] : NONE;
    was_dead = km->dead;
    km->dead = 0;
    if (c == NONE)
        return;
    if (was_dead && usage == U_SPACE)
        return;   /* the space that completes a dead key */
    km->dead = is_dead(km->layout, layer, usage);
    tt_keymap_put(km, c, now_ms);
}

void tt_keymap_feed_report(tt_keymap_t *km, const uint8_t *report, size_t len, int64_t now_ms)
{
    uint8_t keys[6] = {0};
    size_t n;

    if (len < 3)
        return;
    n = len - 2 > 6 ? 6 : len - 2;
    memcpy(keys, report + 2, n);
    /* ErrorRollOver, POSTFail, ErrorUndefined: the key state is unknown for
     * this report; the next good one says it again. */
    for (size_t i = 0; i < 6; i++)
        if (keys[i] >= 0x01 && keys[i] <= 0x03)
            return;
    set_mods(km, report[0], now_ms);
    for (size_t i = 0; i < 6; i++) {
        if (keys[i] == 0 || memchr(km->keys, keys[i], sizeof km->keys))
            continue;
        /* A usage listed twice in one report types once. */
        if (memchr(keys, keys[i], i))
            continue;
        key_down(km, keys[i], now_ms);
    }
    memcpy(km->keys, keys, sizeof km->keys);
}

void tt_keymap_feed_key(tt_keymap_t *km, unsigned code, int value, int64_t now_ms)
{
    uint8_t bit = linux_mod(code);

    if (value != 0 && value != 1)
        return;   /* autorepeat */
    if (bit) {
        set_mods(km, value ? (uint8_t)(km->mods | bit) : (uint8_t)(km->mods & ~bit), now_ms);
        return;
    }
    if (value != 1 || code >= sizeof linux_usage || linux_usage[code] == 0)
        return;
    key_down(km, linux_usage[code], now_ms);
}

void tt_keymap_reset(tt_keymap_t *km)
{
    memset(km->keys, 0, sizeof km->keys);
    km->mods = 0;
    drop_partial(km);
}

int tt_keymap_partial(const tt_keymap_t *km)
{
    return km->cur_len > 0 || km->cur_overflow || km->alt_digits > 0;
}

int64_t tt_keymap_deadline(const tt_keymap_t *km)
{
    if (!tt_keymap_partial(km))
        return -1;
    return km->last_ms + TT_KEYMAP_PARTIAL_MS;
}

int tt_keymap_expire(tt_keymap_t *km, int64_t now_ms)
{
    int64_t d = tt_keymap_deadline(km);

    if (d < 0 || now_ms < d)
        return 0;
    drop_partial(km);
    km->dropped++;
    return 1;
}

tt_err_t tt_keymap_read(tt_keymap_t *km, char *code, size_t len)
{
    const char *slot;
    size_t n;

    if (km->count == 0)
        return TT_ERR_BUSY;
    slot = km->queue[km->head];
    km->head = (km->head + 1) % TT_KEYMAP_QUEUE;
    km->count--;
    n = strlen(slot);
    if (n == 0 || n >= len)
        return TT_ERR_TOOBIG;
    memcpy(code, slot, n + 1);
    return TT_OK;
}
