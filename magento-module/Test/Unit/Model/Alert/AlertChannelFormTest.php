<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Alert;

use Cronkeeper\Scheduler\Model\Alert\AlertChannelForm;
use PHPUnit\Framework\TestCase;

class AlertChannelFormTest extends TestCase
{
    public function testANewChannelSendsEveryFieldItHas(): void
    {
        self::assertSame(
            ['name' => 'ops', 'kind' => 'webhook', 'url' => 'https://r.test/x', 'secret' => 'k3y-0123456789abcdef'],
            AlertChannelForm::toInput(['original_name' => '', 'name' => ' ops ', 'kind' => 'WEBHOOK', 'url' => ' https://r.test/x ', 'secret' => 'k3y-0123456789abcdef'])
        );
        // Empty required fields still go, so the service names them in its error.
        self::assertSame(['name' => '', 'kind' => '', 'url' => ''], AlertChannelForm::toInput([]));
        self::assertTrue(AlertChannelForm::isNew(['original_name' => ' ']));
    }

    public function testAnEditSendsTheOriginalNameAndOnlyWhatWasFilledIn(): void
    {
        $posted = ['original_name' => 'ops', 'name' => 'renamed', 'kind' => 'webhook', 'url' => '', 'secret' => '  '];
        self::assertSame(['name' => 'ops', 'kind' => 'webhook'], AlertChannelForm::toInput($posted));
        self::assertFalse(AlertChannelForm::isNew($posted));
        self::assertSame(['name' => 'ops', 'kind' => 'slack', 'url' => 'https://new.test/'], AlertChannelForm::toInput(['original_name' => 'ops', 'kind' => 'slack', 'url' => 'https://new.test/']));
    }

    public function testTheFormNeverHoldsAUrlOrKey(): void
    {
        $channel = ['name' => 'ops', 'kind' => 'webhook', 'maskedUrl' => 'https://r.test/…', 'signed' => true, 'source' => 'API'];
        self::assertSame(['name' => 'ops', 'kind' => 'webhook', 'url' => '', 'secret' => ''], AlertChannelForm::toForm($channel));
        self::assertSame($channel, AlertChannelForm::find([['name' => 'a'], $channel], 'ops'));
        self::assertNull(AlertChannelForm::find([$channel], 'nope'));
    }
}
