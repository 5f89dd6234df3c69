#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#define ENTRY_MAX 32

struct tt_ui {
    tt_counter_lang_t lang;
    char entry[ENTRY_MAX + 1];
    size_t nentry;
};

enum { P_OK = 1, P_ERROR, P_TITLE, P_WARN };

enum { L_ONLINE, L_OFFLINE, L_WAITING, L_SYNCED, L_REJECTED, L_OPERATOR, L_NOBODY, L_MODE,
       L_WAREHOUSE, L_UNIT, L_REF, L_NEXT_QTY, L_ITEM, L_QTY, L_SCANNER_MISSING, L_KEYS,
       L_ENTRY, L_MORE, L_STOCK, L_ASSET, L_STATE_UNKNOWN, L_PENDING, L_COUNT };

static const char *const labels[L_COUNT][2] = {
    [L_ONLINE] = {"在线", "online"},
    [L_OFFLINE] = {"离线", "OFFLINE"},
    [L_WAITING] = {"待同步", "waiting"},
    [L_SYNCED] = {"已确认至", "acked to"},
    [L_REJECTED] = {"被拒", "rejected"},
    [L_OPERATOR] = {"操作员", "Operator"},
    [L_NOBODY] = {"(未登录)", "(nobody)"},
    [L_MODE] = {"业务", "Mode"},
    [L_WAREHOUSE] = {"仓库", "Warehouse"},
    [L_UNIT] = {"工区", "Work area"},
    [L_REF] = {"单号", "Ref"},
    [L_NEXT_QTY] = {"下一件数量", "Next qty"},
    [L_ITEM] = {"物资编码", "Item"},
    [L_QTY] = {"数量", "Qty"},
    [L_SCANNER_MISSING] = {"扫描枪未连接", "SCANNER MISSING"},
    [L_KEYS] = {"F2 提交  F3 撤销  F4 取消  回车 确认输入", "F2 commit  F3 undo  F4 cancel  Enter: enter"},
    [L_ENTRY] = {"输入", "Entry"},
    [L_STOCK] = {"库存", "stock"},
    [L_MORE] = {"… 另有 %zu 行", "... %zu more lines"},
    [L_ASSET] = {"设备", "Asset"},
    [L_STATE_UNKNOWN] = {"本机无状态记录", "state not known here"},
    [L_PENDING] = {"待同步", "pending"},
};

static const char *L(const tt_ui_t *ui, int k)
{
    return labels[k][ui->lang];
}

/* Writes `s` at (y, x), cut to `cols` display columns (CJK take two). */
/* Decodes s into w[cap] (stopping at an invalid byte) and returns how many
 * characters fit in `cols` display columns (CJK take two); *width gets the
 * columns they take. */
static size_t fit(const char *s, wchar_t *w, size_t cap, int cols, int *width)
{
    mbstate_t st;
    size_t n = 0, len = strlen(s);
    int used = 0;

    memset(&st, 0, sizeof st);
    while (n < cap && len > 0) {
        size_t r = mbrtowc(&w[n], s, len, &st);
        int cw;
        if (r == 0 || r == (size_t)-1 || r == (size_t)-2)
            break;
        cw = wcwidth(w[n]);
        if (cw < 0)
            cw = 1;
        if (used + cw > cols)
            break;
        used += cw;
        s += r;
        len -= r;
        n++;
    }
    *width = used;
    return n;
}

/* Writes s at (y, x), cut to `cols` display columns. */
static void put(int y, int x, const char *s, int cols)
{
    wchar_t w[512];
    int width;
    size_t n = fit(s, w, 512, cols, &width);
    mvaddnwstr(y, x, w, (int)n);
}

/* Writes s right-aligned in a field of `cols` display columns at (y, x). */
static void put_right(int y, int x, const char *s, int cols)
{
    wchar_t w[128];
    int width;
    size_t n = fit(s, w, 128, cols, &width);
    mvaddnwstr(y, x + cols - width, w, (int)n);
}

tt_err_t tt_ui_open(tt_counter_lang_t lang, tt_ui_t **out)
{
    tt_ui_t *ui;
    *out = NULL;
    if (!isatty(STDIN_FILENO))
        return TT_ERR_DEVICE;
    ui = calloc(1, sizeof *ui);
    if (!ui)
        return TT_ERR_NOMEM;
    ui->lang = lang;
    initscr();
    cbreak();
    noecho();
    nodelay(stdscr, TRUE);
    keypad(stdscr, TRUE);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(P_OK, COLOR_GREEN, -1);
        init_pair(P_ERROR, COLOR_WHITE, COLOR_RED);
        init_pair(P_TITLE, COLOR_BLACK, COLOR_CYAN);
        init_pair(P_WARN, COLOR_YELLOW, -1);
    }
    *out = ui;
    return TT_OK;
}

void tt_ui_close(tt_ui_t *ui)
{
    if (!ui)
        return;
    endwin();
    free(ui);
}

int tt_ui_fd(const tt_ui_t *ui)
{
    (void)ui;
    return STDIN_FILENO;
}

/* The repair bay's asset (two lines at y): its state, then its last steps
 * with when and who, this terminal's own unconfirmed ones marked. */
static void draw_asset(const tt_ui_t *ui, const tt_counter_asset_t *a, int y, int cols)
{
    char buf[512];
    size_t n;

    if (a->known)
        snprintf(buf, sizeof buf, "%s %s %s: %s%s%s%s", L(ui, L_ASSET), a->row.asset, a->model,
                 tt_assets_state_label(a->row.state, ui->lang), a->row.unit[0] ? " (" : "",
                 a->row.unit, a->row.unit[0] ? ")" : "");
    else
        snprintf(buf, sizeof buf, "%s %s %s: %s", L(ui, L_ASSET), a->row.asset, a->model,
                 L(ui, L_STATE_UNKNOWN));
    attron(A_BOLD);
    put(y, 1, buf, cols - 2);
    attroff(A_BOLD);
    buf[0] = '\0';
    for (size_t i = 0; i < a->row.nsteps; i++) {
        const tt_assets_entry_t *e = &a->row.steps[i];
        time_t t = (time_t)(e->at_ms / 1000);
        struct tm tm;
        char when[16] = "";
        if (localtime_r(&t, &tm))
            strftime(when, sizeof when, "%m-%d %H:%M", &tm);
        n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "%s%s %s %s %s%s%s", i ? " · " : "",
                 tt_assets_step_label(e->step, ui->lang), e->result, when, e->operator_id,
                 e->pending ? " " : "", e->pending ? L(ui, L_PENDING) : "");
    }
    put(y + 1, 3, buf, cols - 4);
}

void tt_ui_draw(tt_ui_t *ui, const tt_counter_view_t *v, const tt_ui_status_t *st)
{
    char buf[256], q[TT_MONEY_TEXT_MAX];
    int rows, cols, y, room;

    getmaxyx(stdscr, rows, cols);
    erase();

    /* Title: who this terminal is and whether its scans are getting through. */
    attron(COLOR_PAIR(P_TITLE));
    mvhline(0, 0, ' ', cols);
    /* The state first: an id or site of any length must not push it off. */
    snprintf(buf, sizeof buf, " %s  %s %llu  %s %llu  %s %llu  · %s · %s",
             st->online ? L(ui, L_ONLINE) : L(ui, L_OFFLINE), L(ui, L_WAITING),
             (unsigned long long)st->waiting, L(ui, L_SYNCED), (unsigned long long)st->synced,
             L(ui, L_REJECTED), (unsigned long long)st->rejected, st->terminal_id, st->site);
    put(0, 0, buf, cols);
    attroff(COLOR_PAIR(P_TITLE));

    snprintf(buf, sizeof buf, "%s: %s    %s: %s    %s: %s", L(ui, L_OPERATOR),
             v->operator_id[0] ? v->operator_id : L(ui, L_NOBODY), L(ui, L_MODE),
             tt_counter_mode_label(v->mode, ui->lang), L(ui, L_WAREHOUSE), v->warehouse[0] ? v->warehouse : "-");
    put(2, 1, buf, cols - 2);
    tt_qty_format(v->next_qty, q, sizeof q);
    snprintf(buf, sizeof buf, "%s: %s    %s: %s    %s: %s", L(ui, L_UNIT),
             v->unit[0] ? v->unit : "-", L(ui, L_REF), v->ref[0] ? v->ref : "-",
             L(ui, L_NEXT_QTY), v->next_qty_set ? q : "1");
    put(3, 1, buf, cols - 2);
    /* The mode's own choices, when it has them. */
    buf[0] = '\0';
    if (v->to[0])
        snprintf(buf, sizeof buf, "→ %s", v->to);
    else if (v->action[0])
        snprintf(buf, sizeof buf, "%s %s", v->action, v->to_unit);
    else if (v->next_result[0])
        snprintf(buf, sizeof buf, "%s", v->next_result);
    if (buf[0])
        put(4, 1, buf, cols - 2);
    if (!st->scanner_present) {
        attron(COLOR_PAIR(P_WARN) | A_BOLD);
        put(3, cols - 20 > 0 ? cols - 20 : 0, L(ui, L_SCANNER_MISSING), 19);
        attroff(COLOR_PAIR(P_WARN) | A_BOLD);
    }

    /* The document, newest lines last; older ones scroll off the top. */
    mvhline(5, 0, ACS_HLINE, cols);
    /* Columns: # (3), quantity right-aligned (10), unit (4), then the item. */
    put(6, 0, "  #", 3);
    put_right(6, 5, L(ui, L_QTY), 10);
    put(6, 21, L(ui, L_ITEM), cols - 21);
    room = rows - 11;
    if (v->asset.shown) {
        room -= 2;
        draw_asset(ui, &v->asset, rows - 6, cols);
    }
    y = 7;
    if (room > 0 && v->nlines > (size_t)room) {
        snprintf(buf, sizeof buf, labels[L_MORE][ui->lang], v->nlines - (size_t)room + 1);
        put(y++, 2, buf, cols - 2);
        room--;
    }
    for (size_t i = v->nlines > (size_t)room ? v->nlines - (size_t)room : 0; i < v->nlines; i++) {
        const tt_counter_line_t *l = &v->lines[i];
        char text[sizeof l->item + sizeof l->name + sizeof l->spec];  /* item name spec */
        tt_qty_format(l->qty, q, sizeof q);
        /* Quantity first, at a fixed column: the name after it may be long
         * and is cut at the screen's edge, never the number. */
        snprintf(buf, sizeof buf, "%3zu", i + 1);
        put(y, 0, buf, 3);
        put_right(y, 5, l->result[0] ? l->result : q, 10);
        put(y, 16, l->uom, 4);
        /* The local stock, when known, at the right edge: the name may be
         * cut to make room, never the number. */
        if (l->stock_known && cols > 21 + 16) {
            char sq[TT_MONEY_TEXT_MAX], label[48];
            tt_qty_format(l->stock, sq, sizeof sq);
            snprintf(label, sizeof label, "%s %s", L(ui, L_STOCK), sq);
            put_right(y, cols - 15, label, 14);
            snprintf(text, sizeof text, "%s %s %s", l->item, l->name, l->spec);
            put(y++, 21, text, cols - 21 - 16);
        } else {
            snprintf(text, sizeof text, "%s %s %s", l->item, l->name, l->spec);
            put(y++, 21, text, cols - 21);
        }
    }

    mvhline(rows - 4, 0, ACS_HLINE, cols);
    if (v->message[0]) {
        attron(COLOR_PAIR(v->message_is_error ? P_ERROR : P_OK) | A_BOLD);
        put(rows - 3, 1, v->message, cols - 2);
        attroff(COLOR_PAIR(v->message_is_error ? P_ERROR : P_OK) | A_BOLD);
    }
    snprintf(buf, sizeof buf, "%s: %s_", L(ui, L_ENTRY), ui->entry);
    put(rows - 2, 1, buf, cols - 2);
    put(rows - 1, 1, L(ui, L_KEYS), cols - 2);
    refresh();
}

tt_ui_action_t tt_ui_keys(tt_ui_t *ui, char *text, size_t len)
{
    int ch;
    while ((ch = getch()) != ERR) {
        switch (ch) {
        case KEY_F(2):
            return TT_UI_COMMIT;
        case KEY_F(3):
            return TT_UI_UNDO;
        case KEY_F(4):
            return TT_UI_CANCEL;
        case KEY_BACKSPACE:
        case 127:
        case 8:
            if (ui->nentry)
                ui->entry[--ui->nentry] = '\0';
            break;
        case '\n':
        case '\r':
        case KEY_ENTER:
            if (ui->nentry == 0)
                break;
            snprintf(text, len, "%s", ui->entry);
            ui->nentry = 0;
            ui->entry[0] = '\0';
            return TT_UI_ENTRY;
        default:
            /* The keypad's alphabet: what quantities and reference numbers use. */
            if (ch < 128 && (((ch | 32) >= 'a' && (ch | 32) <= 'z') || (ch >= '0' && ch <= '9') ||
                             ch == '.' || ch == '-' || ch == '_') &&
                ui->nentry < ENTRY_MAX) {
                ui->entry[ui->nentry++] = (char)ch;
                ui->entry[ui->nentry] = '\0';
            }
            break;
        }
    }
    return TT_UI_NONE;
}
