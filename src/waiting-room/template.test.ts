import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../config/file.js';
import { ConfigError } from '../config/load.js';
import {
  compileTemplate,
  escapeHtml,
  fillTemplate,
  roomTemplateProblems,
  TEMPLATE_MAX_BYTES,
  TEMPLATE_PLACEHOLDERS,
  templateProblems,
  type TemplateValues,
} from './template.js';

const GOOD = '<!doctype html><html lang="{{lang}}"><title>{{ title }}</title><p id="sanh-pos">{{position}}</p>{{sanhScript}}</html>';

const VALUES: TemplateValues = {
  lang: 'vi',
  title: 'Bạn đang trong hàng chờ',
  roomName: 'Cổng',
  position: '3',
  ahead: 'Có 2 người trước bạn.',
  aheadCount: '2',
  eta: 'khoảng 3 phút',
  updated: '08:00:00',
  notice: '',
  pollAfterSeconds: '5',
  returnTo: '/a?b=1&c=2',
  otherLang: 'en',
  otherLangUrl: '/a?lang=en',
  otherLangLabel: 'English',
  statusUrl: '/_sanh/status?room=main',
};

describe('templateProblems', () => {
  it('accepts a template with {{position}} and one {{sanhScript}}, spaces inside the braces allowed', () => {
    expect(templateProblems(GOOD)).toEqual([]);
  });

  it('accepts every documented placeholder', () => {
    const all = TEMPLATE_PLACEHOLDERS.map((name) => `{{${name}}}`).join('\n');
    expect(templateProblems(all)).toEqual([]);
  });

  it('names unknown placeholders once each, and lists the known ones', () => {
    const problems = templateProblems(`${GOOD}{{positon}}{{positon}}{{ Position }}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^unknown placeholders \{\{positon\}\}, \{\{Position\}\} \(known: lang, title, /);
  });

  it('requires {{position}} and exactly one {{sanhScript}}', () => {
    expect(templateProblems('<p>{{eta}}</p>')).toEqual([
      'must contain {{position}}',
      'must contain {{sanhScript}} (the page script that moves the visitor on), best at the end of <body>',
    ]);
    expect(templateProblems('{{position}}{{sanhScript}}{{sanhScript}}')).toEqual(['must contain {{sanhScript}} once, not 2 times']);
  });

  it('rejects a "{{" that is not a placeholder', () => {
    expect(templateProblems(`${GOOD}<p>{{ oops</p>`)).toEqual(['has a "{{" that is not a placeholder: "{{ oops</p>"']);
  });

  it('rejects a template over 20 KB, counted in UTF-8 bytes', () => {
    const filler = 'ă'.repeat(TEMPLATE_MAX_BYTES / 2 - GOOD.length / 2);
    expect(new TextEncoder().encode(GOOD + filler).length).toBeLessThanOrEqual(TEMPLATE_MAX_BYTES);
    expect(templateProblems(GOOD + filler)).toEqual([]);
    const problems = templateProblems(`${GOOD}${filler}ăă`);
    expect(problems).toEqual([expect.stringMatching(/^is 2048\d bytes; a template may be at most 20480 bytes \(20 KB\)$/)]);
  });
});

describe('fillTemplate', () => {
  it('escapes every value and puts the script in as is', () => {
    const template = compileTemplate('<a href="{{returnTo}}" title="{{roomName}}">{{position}}</a>{{sanhScript}}');
    const html = fillTemplate(template, { ...VALUES, roomName: `"><script>alert('x')</script>` }, '<script>go()</script>');
    expect(html).toBe('<a href="/a?b=1&amp;c=2" title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;">3</a><script>go()</script>');
  });

  it('fills a placeholder used many times, with spaces in its braces', () => {
    const html = fillTemplate(compileTemplate('{{position}}|{{ position }}|{{sanhScript}}'), VALUES, 'S');
    expect(html).toBe('3|3|S');
  });

  it('refuses to compile an invalid template', () => {
    expect(() => compileTemplate('{{nope}}')).toThrow(/Invalid waiting-page template: unknown placeholder \{\{nope\}\}/);
  });

  it('escapes the five HTML characters', () => {
    expect(escapeHtml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&#39;');
  });
});

describe('roomTemplateProblems', () => {
  it('names the room field of each problem', () => {
    expect(roomTemplateProblems([{}, { templateHtml: GOOD }, { templateHtml: '{{sanhScript}}' }])).toEqual(['rooms[2].template: must contain {{position}}']);
  });
});

describe('loading templates with the configuration file', () => {
  async function configDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'sanh-template-'));
    await mkdir(join(dir, 'pages'));
    return dir;
  }

  function room(id: string, template?: string) {
    return { id, match: [`/${id}`], maxActive: 1, admitPerMinute: 1, ...(template ? { template } : {}) };
  }

  it("reads each room's template relative to the file's folder into templateHtml", async () => {
    const dir = await configDir();
    await writeFile(join(dir, 'pages', 'wait.html'), GOOD);
    const file = join(dir, 'sanh.json');
    await writeFile(file, JSON.stringify({ rooms: [room('a', 'pages/wait.html'), room('b')] }));
    const config = await loadConfigFile(file);
    expect(config.rooms[0]?.templateHtml).toBe(GOOD);
    expect(config.rooms[1]?.templateHtml).toBeUndefined();
  });

  it('reports unreadable and invalid templates as one ConfigError naming rooms[i].template', async () => {
    const dir = await configDir();
    await writeFile(join(dir, 'pages', 'typo.html'), '<p>{{postion}}</p>{{sanhScript}}');
    await writeFile(join(dir, 'pages', 'big.html'), GOOD + ' '.repeat(TEMPLATE_MAX_BYTES));
    const file = join(dir, 'sanh.json');
    await writeFile(file, JSON.stringify({ rooms: [room('a', 'pages/typo.html'), room('b', 'missing.html'), room('c', 'pages/big.html')] }));
    const error = await loadConfigFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^rooms\[1\]\.template: cannot read .*missing\.html: /);
    expect(problems.slice(1)).toEqual([
      expect.stringMatching(/^rooms\[0\]\.template: unknown placeholder \{\{postion\}\} \(known: /),
      'rooms[0].template: must contain {{position}}',
      expect.stringMatching(/^rooms\[2\]\.template: is 2\d+ bytes; a template may be at most 20480 bytes/),
    ]);
    expect((error as Error).message).toContain(file);
  });
});
